import Foundation
import Testing
import Vial
import VialBlueprints
import VialMiddleware
import VialApp
import VialTesting

/// The guide's section 13 through the whole app in-process: 202 + Location, the job status
/// endpoint, process_task_data and send_confirmation_email. Workers are stepped by hand with
/// `runNext()` on a clock the test moves.
@Suite struct JobsAPITests {
    struct Fixture {
        let client: TestClient
        let services: BundledServices
        let clock = ManualClock()
        var user: HTTPHeaders = [:]
        var admin: HTTPHeaders = [:]
        var other: HTTPHeaders = [:]

        init(_ variables: [String: String] = [:]) async throws {
            let bundled = try await BundledApp(variables.merging(["TRUSTED_HOSTS": "api.test, localhost"]) { mine, _ in mine }, clock: clock)
            services = bundled.services
            let users = bundled.users
            let carol = try await services.users.create(
                User(username: "carol", email: "carol@example.com", passwordHash: "x", role: .user, createdAt: "2026-01-01T00:00:00Z"))
            client = try bundled.app.testClient()
            func bearer(_ user: User) -> HTTPHeaders {
                let token = services.jwt.issuer.accessToken(subject: String(user.id!), role: user.role.rawValue, fresh: true)
                return ["Authorization": "Bearer \(token)", "Host": "api.test"]
            }
            admin = bearer(users[0])
            user = bearer(users[1])
            other = bearer(carol)
        }

        /// Creates a task as the user; returns its id.
        func task(_ title: String = "Write report", description: String? = "Q4 numbers") async throws -> Int {
            let body: JSON = ["title": .string(title), "description": description.map(JSON.string) ?? .null]
            let created = try await client.post("/api/tasks/", json: body, headers: user)
            #expect(created.status == .created)
            return try #require(try created.json()["data"]?["id"]?.intValue)
        }

        /// Runs every due job.
        func drain() async throws { while try await services.jobs.runNext() {} }

        func job(_ id: String, as headers: HTTPHeaders? = nil) async throws -> TestResponse {
            try await client.get("/api/jobs/\(id)", headers: headers ?? user)
        }
    }

    @Test func processAnswers202AndTheJobProcessesTheTask() async throws {
        let f = try await Fixture()
        let id = try await f.task()
        try await f.drain()  // the confirmation email
        // The detail is cached before processing …
        _ = try await f.client.get("/api/tasks/\(id)", headers: f.user)
        #expect(try await f.client.get("/api/tasks/\(id)", headers: f.user).header("X-Cache") == "HIT")

        let accepted = try await f.client.post("/api/tasks/\(id)/process", json: [:], headers: f.user)
        #expect(accepted.status == .accepted)
        let data = try #require(try accepted.json()["data"])
        let jobID = try #require(data["id"]?.stringValue)
        #expect(accepted.header("Location") == "http://api.test/api/jobs/\(jobID)")
        #expect(data["name"] == "process_task_data")
        #expect(data["state"] == "queued")
        #expect(data["attempts"] == 0)
        #expect(data["result"] == .null)
        #expect(data["finished_at"] == .null)
        #expect(Set(data.objectValue?.keys.map { $0 } ?? []) == ["id", "name", "state", "attempts", "result", "error", "created_at", "finished_at"])
        #expect(try await f.client.get("/api/tasks/\(id)", headers: f.user).json()["data"]?["status"] == "pending")

        try await f.drain()
        let done = try await f.job(jobID).json()["data"]!
        #expect(done["state"] == "succeeded")
        #expect(done["attempts"] == 1)
        #expect(done["result"] == ["status": "success", "task_id": .int(id), "new_description": "Q4 numbers [Processed]"])
        #expect(done["finished_at"]?.stringValue?.hasSuffix("Z") == true)
        // … and the job dropped it: the next read sees the change.
        let task = try await f.client.get("/api/tasks/\(id)", headers: f.user)
        #expect(task.header("X-Cache") == "MISS")
        #expect(try task.json()["data"]?["description"] == "Q4 numbers [Processed]")
        #expect(try task.json()["data"]?["status"] == "completed")
    }

    @Test func aTaskWithoutDescriptionGetsOneAndADeletedTaskIsReported() async throws {
        let f = try await Fixture()
        let bare = try await f.task("No description", description: nil)
        let gone = try await f.task("Gone")
        let first = try await f.client.post("/api/tasks/\(bare)/process", json: [:], headers: f.user).json()["data"]!["id"]!.stringValue!
        let second = try await f.client.post("/api/tasks/\(gone)/process", json: [:], headers: f.user).json()["data"]!["id"]!.stringValue!
        #expect(try await f.client.delete("/api/tasks/\(gone)", headers: f.user).status == .noContent)
        try await f.drain()
        #expect(try await f.client.get("/api/tasks/\(bare)", headers: f.user).json()["data"]?["description"] == " [Processed]")
        let reported = try await f.job(second).json()["data"]!
        #expect(reported["state"] == "succeeded")  // as the guide's job: it returns a failure report
        #expect(reported["result"] == ["status": "failed", "reason": "Task not found"])
        #expect(try await f.job(first).json()["data"]?["state"] == "succeeded")
    }

    @Test func processIs404ForAMissingTaskAnd403ForSomeoneElses() async throws {
        let f = try await Fixture()
        let id = try await f.task()
        let missing = try await f.client.post("/api/tasks/9999/process", json: [:], headers: f.user)
        #expect(missing.status == .notFound)
        #expect(try missing.json()["error"]?["message"] == "Task with ID 9999 not found")
        #expect(try await f.client.post("/api/tasks/\(id)/process", json: [:], headers: f.other).status == .forbidden)
        #expect(try await f.client.post("/api/tasks/\(id)/process", json: [:]).status == .unauthorized)
        #expect(try await f.client.post("/api/tasks/\(id)/process", json: [:], headers: f.admin).status == .accepted)
    }

    @Test func jobsAreShownToTheirOwnerAndAdminsOnly() async throws {
        let f = try await Fixture()
        let id = try await f.task()
        let jobID = try await f.client.post("/api/tasks/\(id)/process", json: [:], headers: f.user).json()["data"]!["id"]!.stringValue!
        #expect(try await f.job(jobID).status == .ok)
        #expect(try await f.job(jobID, as: f.admin).status == .ok)
        let someoneElse = try await f.job(jobID, as: f.other)
        #expect(someoneElse.status == .notFound)
        #expect(try someoneElse.json()["error"]?["message"] == .string("Job with ID \(jobID) not found"))
        #expect(try await f.job("no-such-job").status == .notFound)
        #expect(try await f.client.get("/api/jobs/\(jobID)").status == .unauthorized)
    }

    /// A job's error can name tables or SQL: its owner sees a generic message, or the message of
    /// a `JobFailure` the job threw on purpose (issue 10, item 12).
    @Test func ownersSeeOnlyMessagesMeantForThem() async throws {
        let f = try await Fixture()
        struct Leaky: Error, CustomStringConvertible {
            var description: String { "SQLite error 19: UNIQUE constraint failed: users.password_hash - while executing `INSERT INTO secrets`" }
        }
        f.services.jobs.register("leaky", maxRetries: 0) { _ in throw Leaky() }
        f.services.jobs.register("explained", maxRetries: 0) { _ in throw JobFailure("The task was deleted") }
        let owner = String(try await f.services.users.find(username: "user")!.id!)
        let leaky = try await f.services.jobs.enqueue("leaky", owner: owner)
        let explained = try await f.services.jobs.enqueue("explained", owner: owner)
        while try await f.services.jobs.runNext() {}
        let leakyError = try await f.job(leaky.id).json()["data"]?["error"]
        #expect(leakyError == "The job failed")
        #expect(try await f.job(explained.id).json()["data"]?["error"] == "The task was deleted")
    }

    @Test func theStatusEndpointThroughEveryState() async throws {
        let f = try await Fixture()
        let gate = Gate()
        // A job that fails its first attempt and waits for the test on its second.
        f.services.jobs.register("gated", maxRetries: 1, backoff: 30) { payload in
            if await gate.attempt() == 1 { throw Refused() }
            try await gate.waitUntilOpen()
            return ["ok": true]
        }
        let owner = String(try await f.services.users.find(username: "user")!.id!)
        let job = try await f.services.jobs.enqueue("gated", owner: owner)
        func state() async throws -> JSON { try await f.job(job.id).json()["data"]! }

        #expect(try await state()["state"] == "queued")
        try await f.services.jobs.runNext()
        let retrying = try await state()
        #expect(retrying["state"] == "retrying")
        #expect(retrying["attempts"] == 1)
        #expect(retrying["error"] == "The job failed")  // the error itself went to the log only
        #expect(try await !f.services.jobs.runNext())  // backing off
        f.clock.advance(30)
        let worker = Task { try await f.services.jobs.runNext() }
        try await gate.waitForAttempt(2)
        let running = try await state()
        #expect(running["state"] == "running")
        #expect(running["attempts"] == 2)
        await gate.open()
        #expect(try await worker.value)
        let succeeded = try await state()
        #expect(succeeded["state"] == "succeeded")
        #expect(succeeded["result"] == ["ok": true])
        #expect(succeeded["error"] == .null)

        f.services.jobs.register("doomed", maxRetries: 0) { _ in throw Refused() }
        let doomed = try await f.services.jobs.enqueue("doomed", owner: owner)
        try await f.services.jobs.runNext()
        let failed = try await f.job(doomed.id).json()["data"]!
        #expect(failed["state"] == "failed")
        #expect(failed["error"] == "The job failed")
        #expect(failed["finished_at"] != .null)

        // Results expire after JOBS_RESULT_EXPIRES (3600 s by default): then the job is gone.
        f.clock.advance(3600)
        let fresh = f.services.jwt.issuer.accessToken(subject: owner, role: "user", fresh: true)  // the old one expired too
        #expect(try await f.job(job.id, as: ["Authorization": "Bearer \(fresh)"]).status == .notFound)
        #expect(try await f.job(doomed.id, as: ["Authorization": "Bearer \(fresh)"]).status == .notFound)
    }

    @Test func creatingATaskQueuesAConfirmationEmail() async throws {
        let f = try await Fixture()
        let id = try await f.task("Plan the offsite")
        #expect(try await f.services.outbox.all().isEmpty)  // queued, not sent during the request
        try await f.drain()
        let messages = try await f.services.outbox.all()
        #expect(messages.count == 1)
        #expect(messages.first?.recipient == "user@example.com")
        #expect(messages.first?.subject == "Task Created: Plan the offsite")
        #expect(messages.first?.body == "Your task 'Plan the offsite' (ID: \(id)) was created successfully.")
    }

    @Test func creatingATaskSucceedsWhenTheEmailCannotBeQueued() async throws {
        let services = try BundledServices(AppConfig(environment: .testing))
        let users = try await DevelopmentSeed.users(into: services.users)
        let app = App(config: AppConfig(environment: .testing))
        try RateLimiter(enabled: false).install(on: app)
        app.use(services.jwt)
        let broken = JobQueue(store: BrokenJobStore())
        TaskJobs.register(on: broken, tasks: services.tasks, users: services.users, outbox: services.outbox)
        app.register(TasksBlueprint.make(tasks: services.tasks, jobs: broken), urlPrefix: "/api/tasks")
        let token = services.jwt.issuer.accessToken(subject: String(users[1].id!), role: "user", fresh: true)
        let created = try await app.testClient().post(
            "/api/tasks/", json: ["title": "Still created"], headers: ["Authorization": "Bearer \(token)"])
        #expect(created.status == .created)
        #expect(try await services.tasks.find(id: 1)?.title == "Still created")
    }

    @Test func jobSettingsAreChecked() throws {
        let defaults = try BundledServices(AppConfig(environment: .testing)).jobsSettings
        #expect(defaults.concurrency == 1)
        #expect(defaults.resultExpires == 3600)
        #expect(defaults.visibilityTimeout == 60)
        let off = try BundledServices(variables: ["JOBS_CONCURRENCY": "0"])
        #expect(!off.assembly.services.contains { $0 is JobWorkers })
        let services = try BundledServices(variables: ["JOBS_CONCURRENCY": "3", "JOBS_RESULT_EXPIRES": "60"])
        #expect(services.assembly.services.compactMap { $0 as? JobWorkers }.first?.concurrency == 3)
        #expect(services.jobs.resultExpiry == 60)
        for (name, value) in [("JOBS_CONCURRENCY", "-1"), ("JOBS_CONCURRENCY", "many"), ("JOBS_RESULT_EXPIRES", "0"), ("JOBS_VISIBILITY_TIMEOUT", "soon")] {
            #expect(throws: ConfigError.self, "\(name)=\(value)") { _ = try BundledServices(variables: [name: value]) }
        }
    }
}

struct Refused: Error {}

/// Counts a job's attempts and holds its second one until opened.
actor Gate {
    private var attempts = 0
    private var isOpen = false

    func attempt() -> Int {
        attempts += 1
        return attempts
    }

    func open() { isOpen = true }

    func waitUntilOpen() async throws {
        while !isOpen { try await Task.sleep(for: .milliseconds(5)) }
    }

    /// Waits (up to 10 s) until attempt `number` started.
    func waitForAttempt(_ number: Int) async throws {
        for _ in 0..<2000 where attempts < number { try await Task.sleep(for: .milliseconds(5)) }
        #expect(attempts >= number)
    }
}

/// A job store whose every operation fails (a full disk, a locked database).
struct BrokenJobStore: JobStore {
    struct Unavailable: Error {}
    func insert(_ job: JobRecord) async throws { throw Unavailable() }
    func claim(now: Double, visibility: Double) async throws -> JobRecord? { throw Unavailable() }
    func succeed(_ job: JobRecord, result: JSON, now: Double, expiresAt: Double) async throws -> Bool { throw Unavailable() }
    func fail(_ job: JobRecord, error: String, retryAt: Double?, now: Double, expiresAt: Double) async throws -> Bool { throw Unavailable() }
    func extend(_ job: JobRecord, lockedUntil: Double) async throws -> Bool { throw Unavailable() }
    func release(_ job: JobRecord, now: Double) async throws -> Bool { throw Unavailable() }
    func find(_ id: String, now: Double) async throws -> JobRecord? { throw Unavailable() }
    func purgeExpired(now: Double) async throws -> Int { throw Unavailable() }
}
