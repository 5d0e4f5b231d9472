// Drives the bundled API through the client swift-openapi-generator made from `App openapi`'s
// document: register, log in, then create, list, patch, read and delete a task. Every answer is
// decoded by the generated types, so a document that says something the server does not do
// fails here. Usage: TasksClient http://127.0.0.1:5000
import Foundation
import OpenAPIRuntime
import OpenAPIURLSession

/// Stops the program with `message` when `condition` does not hold.
func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    guard condition else {
        FileHandle.standardError.write(Data("TasksClient: \(message())\n".utf8))
        exit(1)
    }
}

guard CommandLine.arguments.count == 2, let serverURL = URL(string: CommandLine.arguments[1]) else {
    FileHandle.standardError.write(Data("usage: TasksClient <server URL>\n".utf8))
    exit(2)
}

let transport = URLSessionTransport()
let anonymous = Client(serverURL: serverURL, transport: transport)
let name = "client\(Int.random(in: 100_000...999_999))"

// Register and log in.
let registered = try await anonymous.auth_register(
    body: .json(.init(email: "\(name)@example.com", password: "correct horse battery", username: name)))
let user = try registered.created.body.json.data
check(user.username == name && user.role == .user, "registered \(user)")
print("registered \(user.username) (id \(user.id))")

let tokens = try await anonymous.auth_login(body: .json(.init(password: "correct horse battery", username: name))).ok.body.json
check(tokens.tokenType == .bearer && tokens.expiresIn > 0, "tokens \(tokens.tokenType) \(tokens.expiresIn)")
let client = Client(serverURL: serverURL, transport: transport, middlewares: [BearerToken(token: tokens.accessToken)])
let me = try await client.auth_me().ok.body.json.data
check(me.id == user.id, "me is \(me.id), not \(user.id)")

// Create, list, patch, read, delete.
let created = try await client.tasks_createTask(
    body: .json(.init(description: "from the generated client", dueDate: "2030-01-31", title: "Generated client")))
let task = try created.created.body.json.data
check(task.title == "Generated client" && task.status == .pending && task.dueDate == "2030-01-31", "created \(task)")
let location = try created.created.headers.location ?? ""
check(location.hasSuffix("/api/tasks/\(task.id)"), "Location is '\(location)'")
print("created task \(task.id)")

let page = try await client.tasks_getTasks(query: .init(status: .pending, perPage: 10)).ok.body.json
check(page.data.contains { $0.id == task.id } && page.meta.total >= 1, "the list holds no task \(task.id)")
print("listed \(page.count) of \(page.meta.total)")

let patched = try await client.tasks_patchTask(path: .init(taskId: task.id), body: .json(.init(status: .completed)))
check(try patched.ok.body.json.data.status == .completed, "the patch did not complete the task")
let read = try await client.tasks_getTask(path: .init(taskId: task.id)).ok.body.json.data
check(read.status == .completed && read.description == "from the generated client", "read back \(read)")
print("patched task \(task.id) to \(read.status.rawValue)")

_ = try await client.tasks_deleteTask(path: .init(taskId: task.id)).noContent
let gone = try await client.tasks_getTask(path: .init(taskId: task.id))
check(try gone.notFound.body.json.error.code == "not_found", "the deleted task is still there")
print("deleted task \(task.id)")

// A refusal decodes as the documented error envelope, details and all.
let refused = try await client.tasks_createTask(body: .json(.init(title: "")))
let problem = try refused.unprocessableContent.body.json.error
check(problem.code == "validation_error", "an empty title answered \(problem.code)")
print("an empty title is refused: \(problem.message)")
print("TasksClient: OK")
