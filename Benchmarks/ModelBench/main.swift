// Decoding + validating a task body three ways (and parsing alone, the floor), alternated in one run, best-of-rounds medians:
// the `Schema` path (parse, validate, read the fields out), a typed `Model` (parse, validate,
// decode), and plain `JSONDecoder` with no validation. Prints one JSON line per way and the
// ratio the issue asks about (typed ÷ Schema; goal ≤ 1.1). Then the same two ways per request:
// POSTs through an app's whole pipeline in process (the access log on, as users get it; run
// with stdout to /dev/null — the figures go to stderr).
import Foundation
import Vial
import VialTesting

enum Status: String, Codable, CaseIterable, Sendable { case pending, completed }

struct TaskInput: Model {
    var title: String
    var description: String?
    var status: Status?
    var dueDate: CalendarDate?
    var tags: [String]

    enum CodingKeys: String, CodingKey { case title, description, status, tags, dueDate = "due_date" }

    static let rules: [String: FieldRules] = [
        "title": FieldRules(.length(1...150), trim: true),
        "tags": FieldRules(.count(0...10), items: [.length(1...30)], default: []),
    ]
}

/// The same task as the `Schema` path builds it by hand.
struct PlainTask: Decodable {
    var title: String
    var description: String?
    var status: String?
    var dueDate: String?
    var tags: [String]?
    enum CodingKeys: String, CodingKey { case title, description, status, tags, dueDate = "due_date" }
}

let schema = Schema(
    .string("title", required: true, trim: true, length: 1...150),
    .string("description", nullable: true),
    .string("status", oneOf: ["pending", "completed"]),
    Field("due_date", .date, nullable: true),
    .array("tags", of: .string("", length: 1...30), count: 0...10))

let body = Array(#"{"title": "  Write the benchmark ", "description": "Typed against Schema", "status": "pending", "due_date": "2026-12-31", "tags": ["perf", "models"]}"#.utf8)

@inline(never) func viaSchema() throws -> Int {
    let input = try schema.validate(JSON(parsing: body))
    let task = PlainTask(
        title: input.string("title")!, description: input.string("description"), status: input.string("status"),
        dueDate: input.string("due_date"), tags: input.values["tags"]?.arrayValue?.compactMap(\.stringValue) ?? [])
    return task.title.utf8.count + (task.tags?.count ?? 0)
}

@inline(never) func viaModel() throws -> Int {
    let task = try TaskInput.validate(JSON(parsing: body))
    return task.title.utf8.count + task.tags.count
}

@inline(never) func parseOnly() throws -> Int {
    try JSON(parsing: body).objectValue?.count ?? 0
}

let decoder = JSONDecoder()
let data = Data(body)
@inline(never) func viaJSONDecoder() throws -> Int {
    let task = try decoder.decode(PlainTask.self, from: data)
    return task.title.utf8.count + (task.tags?.count ?? 0)
}

func measure(_ work: () throws -> Int, iterations: Int) rethrows -> Double {
    var sink = 0
    let start = ContinuousClock.now
    for _ in 0..<iterations { sink &+= try work() }
    let elapsed = ContinuousClock.now - start
    precondition(sink > 0)
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    return seconds / Double(iterations) * 1e9
}

/// Two routes taking the same body, one per way; the access log on, as users get it.
func makeApp() -> App {
    let app = App("model-bench")
    app.post("/schema") { req in
        let input = try req.validate(schema)
        let task = PlainTask(
            title: input.string("title")!, description: input.string("description"), status: input.string("status"),
            dueDate: input.string("due_date"), tags: input.values["tags"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        return Response.json(["title": .string(task.title), "tags": .int(task.tags?.count ?? 0)], status: .created)
    }
    app.post("/model") { req in
        let task = try req.decode(TaskInput.self)
        return Response.json(["title": .string(task.title), "tags": .int(task.tags.count)], status: .created)
    }
    return app
}

// `serve`: the two routes on 127.0.0.1 (an ephemeral port), for Benchmarks/models.sh to load over
// a socket.
// `ModelBench encode [rounds]`: a page of 100 tasks encoded by Foundation's JSONEncoder and by
// Vial's JSONValueEncoder (then written), alternated; prints each one's median and the ratio.
if CommandLine.arguments.dropFirst().first == "encode" {
    struct Row: Encodable {
        var id: Int, title: String, description: String?, status: Status, dueDate: CalendarDate?
        var ownerId: Int, createdAt: Date, key: UUID, tags: [String]
        enum CodingKeys: String, CodingKey {
            case id, title, description, status, tags, key
            case dueDate = "due_date", ownerId = "owner_id", createdAt = "created_at"
        }
    }
    let rows = (0..<100).map {
        Row(id: $0, title: "Task \($0)", description: $0 % 2 == 0 ? nil : "Something to do", status: .pending,
            dueDate: CalendarDate(year: 2026, month: 12, day: 31), ownerId: 2, createdAt: Date(), key: UUID(), tags: ["perf", "models"])
    }
    let rounds = Int(CommandLine.arguments.dropFirst(2).first ?? "") ?? 9
    let foundationEncoder = JSONCoding.encoder
    let viaFoundation: () throws -> Int = { try foundationEncoder.encode(rows).count }
    let viaVial: () throws -> Int = { try JSONCoding.encode(rows).count }
    var foundation: [Double] = [], vial: [Double] = []
    for _ in 0..<rounds {
        foundation.append(try measure(viaFoundation, iterations: 300))
        vial.append(try measure(viaVial, iterations: 300))
    }
    func middle(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
    print("foundation \(middle(foundation)) s, vial \(middle(vial)) s, vial/foundation \(middle(vial) / middle(foundation))")
    exit(0)
}

if CommandLine.arguments.dropFirst().first == "serve" {
    try await makeApp().run(host: "127.0.0.1", port: 0)
    exit(0)
}

let iterations = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 100_000
let ways: [(String, () throws -> Int)] = [
    ("parse", parseOnly), ("schema", viaSchema), ("model", viaModel), ("jsondecoder", viaJSONDecoder),
]
// A second argument runs one way alone (for a profiler).
if let only = CommandLine.arguments.dropFirst(2).first, let work = ways.first(where: { $0.0 == only })?.1 {
    print(#"{"way":"\#(only)","ns_per_body":\#(String(format: "%.0f", try measure(work, iterations: iterations)))}"#)
    exit(0)
}
var times: [String: [Double]] = [:]
for (_, work) in ways { _ = try measure(work, iterations: iterations / 10) }  // warm up
for _ in 0..<9 {
    for (name, work) in ways { times[name, default: []].append(try measure(work, iterations: iterations)) }
}
func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
let ratio = median(times["model"]!) / median(times["schema"]!)
func report(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }
for (name, _) in ways {
    report(#"{"way":"\#(name)","ns_per_body":\#(String(format: "%.0f", median(times[name]!)))}"#)
}
report(#"{"typed_over_schema":\#(String(format: "%.2f", ratio)),"typed_over_jsondecoder":\#(String(format: "%.2f", median(times["model"]!) / median(times["jsondecoder"]!)))}"#)

// Per request, in process.
let app = makeApp()
let client = try app.testClient()
let text = String(decoding: body, as: UTF8.self)
func perRequest(_ path: String, _ count: Int) async throws -> Double {
    let start = ContinuousClock.now
    for _ in 0..<count {
        let response = try await client.send(.POST, path, body: text, contentType: "application/json")
        precondition(response.status == .created)
    }
    let elapsed = ContinuousClock.now - start
    return (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18) / Double(count) * 1e9
}
var requestTimes: [String: [Double]] = [:]
let requests = iterations / 10
_ = try await perRequest("/schema", requests / 10)
_ = try await perRequest("/model", requests / 10)
for _ in 0..<9 {
    for path in ["/schema", "/model"] { requestTimes[path, default: []].append(try await perRequest(path, requests)) }
}
report(#"{"per_request":"schema","ns":\#(String(format: "%.0f", median(requestTimes["/schema"]!)))}"#)
report(#"{"per_request":"model","ns":\#(String(format: "%.0f", median(requestTimes["/model"]!)))}"#)
report(#"{"per_request_typed_over_schema":\#(String(format: "%.2f", median(requestTimes["/model"]!) / median(requestTimes["/schema"]!)))}"#)
