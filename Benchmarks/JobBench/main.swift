// Background jobs, measured against baselines in the same run on a file database (WAL):
// - a task create with the confirmation email queued vs the same create without jobs;
// - a whole no-op job (enqueue, claim, record) vs one task insert;
// - a pool of 1 vs 2 workers on jobs that wait 2 ms each (I/O-bound work).
// Alternated rounds, medians. Prints one JSON line per figure.
import Foundation
import Logging
import Vial
import VialApp
import VialBlueprints
import VialMiddleware
import VialTesting

// Job logs would measure the terminal.
LoggingSystem.bootstrap { _ in SwiftLogNoOpLogHandler() }

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vial-jobbench-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: folder) }

func database(_ name: String) async throws -> AppDatabase {
    let database = try AppDatabase(.file(folder.appendingPathComponent("\(name).db").path))
    try await Bundled.application.migrator().upgrade(database)
    return database
}

// MARK: creates with and without the queued email

struct CreateSetup {
    let client: TestClient
    let headers: HTTPHeaders
}

func createSetup(_ name: String, withJobs: Bool) async throws -> CreateSetup {
    let database = try await database(name)
    let users = SQLUserStore(database)
    let tasks = SQLTaskStore(database)
    let user = try await DevelopmentSeed.users(into: users)[1]
    let codec = JWTCodec(secret: "benchmark-secret-0123456789abcdef")
    let jwt = JWTManager(
        issuer: TokenIssuer(codec: codec),
        revocations: SQLRevocationStore(database))
    var config = AppConfig()
    config.accessLog = false
    let app = App("bench", config: config)
    // The tasks blueprint's per-user limit needs a limiter; off, as in the other benchmarks.
    try RateLimiter(enabled: false).install(on: app)
    app.use(jwt)
    var jobs: JobQueue?
    if withJobs {
        let queue = JobQueue(store: SQLJobStore(database))
        TaskJobs.register(on: queue, tasks: tasks, users: users, outbox: Outbox(database))
        jobs = queue
    }
    app.register(TasksBlueprint.make(tasks: tasks, jobs: jobs), urlPrefix: "/api/tasks")
    let token = jwt.issuer.accessToken(subject: String(user.id!), role: "user", fresh: true)
    return CreateSetup(client: try app.testClient(), headers: ["Authorization": "Bearer \(token)"])
}

func createMicros(_ setup: CreateSetup, count: Int) async throws -> Double {
    let start = ContinuousClock.now
    for index in 0..<count {
        let response = try await setup.client.post("/api/tasks/", json: ["title": .string("Task \(index)")], headers: setup.headers)
        precondition(response.status == .created)
    }
    return seconds(ContinuousClock.now - start) / Double(count) * 1e6
}

let plain = try await createSetup("plain", withJobs: false)
let emailing = try await createSetup("emailing", withJobs: true)
_ = try await createMicros(plain, count: 100)
_ = try await createMicros(emailing, count: 100)
var plainTimes: [Double] = []
var emailTimes: [Double] = []
for round in 0..<5 {
    if round % 2 == 0 {
        plainTimes.append(try await createMicros(plain, count: 500))
        emailTimes.append(try await createMicros(emailing, count: 500))
    } else {
        emailTimes.append(try await createMicros(emailing, count: 500))
        plainTimes.append(try await createMicros(plain, count: 500))
    }
}
print(#"{"create_plain_us":\#(String(format: "%.1f", median(plainTimes))),"create_with_email_us":\#(String(format: "%.1f", median(emailTimes)))}"#)

// MARK: a whole job vs one insert

let jobsDatabase = try await database("jobs")
let queue = JobQueue(store: SQLJobStore(jobsDatabase))
queue.register("noop") { _ in .null }
let insertTasks = SQLTaskStore(jobsDatabase)
let owner = try await DevelopmentSeed.users(into: SQLUserStore(jobsDatabase))[1].id!

func jobMicros(count: Int) async throws -> Double {
    let start = ContinuousClock.now
    for _ in 0..<count { try await queue.enqueue("noop") }
    while try await queue.runNext() {}
    return seconds(ContinuousClock.now - start) / Double(count) * 1e6
}

func insertMicros(count: Int) async throws -> Double {
    let start = ContinuousClock.now
    for index in 0..<count {
        let stamp = Timestamp.string(Date())
        _ = try await insertTasks.create(
            TaskItem(title: "t\(index)", description: nil, status: .pending, dueDate: nil, ownerId: owner, createdAt: stamp, updatedAt: stamp))
    }
    return seconds(ContinuousClock.now - start) / Double(count) * 1e6
}

_ = try await jobMicros(count: 100)
_ = try await insertMicros(count: 100)
var jobTimes: [Double] = []
var insertTimes: [Double] = []
for _ in 0..<5 {
    jobTimes.append(try await jobMicros(count: 500))
    insertTimes.append(try await insertMicros(count: 500))
}
print(#"{"job_roundtrip_us":\#(String(format: "%.1f", median(jobTimes))),"task_insert_us":\#(String(format: "%.1f", median(insertTimes)))}"#)

// MARK: pool concurrency on waiting jobs

let poolDatabase = try await database("pool")
let waiting = JobQueue(store: SQLJobStore(poolDatabase))
waiting.register("wait") { _ in
    try await Task.sleep(for: .milliseconds(2))
    return .null
}

func poolJobsPerSecond(concurrency: Int, count: Int) async throws -> Double {
    for _ in 0..<count { try await waiting.enqueue("wait") }
    let signal = WorkerSignal()
    let start = ContinuousClock.now
    let pool = Task { await JobWorkers(queue: waiting, concurrency: concurrency, pollInterval: 0.01).run(signal: signal) }
    // Done when nothing is queued, retrying or running any more.
    while try await poolDatabase.read("SELECT COUNT(*) AS n FROM jobs WHERE state NOT IN ('succeeded', 'failed')").first?.int("n") ?? 0 > 0 {
        try await Task.sleep(for: .milliseconds(1))
    }
    let elapsed = seconds(ContinuousClock.now - start)
    signal.stop()
    await pool.value
    return Double(count) / elapsed
}

var one: [Double] = []
var two: [Double] = []
for _ in 0..<3 {
    one.append(try await poolJobsPerSecond(concurrency: 1, count: 200))
    two.append(try await poolJobsPerSecond(concurrency: 2, count: 200))
}
print(#"{"pool_1_jobs_per_s":\#(String(format: "%.0f", median(one))),"pool_2_jobs_per_s":\#(String(format: "%.0f", median(two)))}"#)
