import Foundation
import Synchronization
import Testing
import Vial
import VialApp
@testable import VialBlueprints
import VialTesting

/// Counts runs per key.
final class RunCounter: Sendable {
    let runs = Mutex([String: Int]())
    func record(_ key: String) { runs.withLock { $0[key, default: 0] += 1 } }
    var total: Int { runs.withLock { $0.values.reduce(0, +) } }
    var maximum: Int { runs.withLock { $0.values.max() ?? 0 } }
}

/// The bundled job stores, so every contract test runs against each: memory, SQLite, and
/// PostgreSQL where it is installed.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case memory, sqlite, postgres
    var testDescription: String { rawValue }

    static var available: [StoreKind] { PostgresTestServer.isAvailable ? allCases : [.memory, .sqlite] }

    func make() async throws -> any JobStore {
        switch self {
        case .memory: return MemoryJobStore()
        case .sqlite: return SQLJobStore(try await Engine.sqlite.migratedDatabase())
        case .postgres: return SQLJobStore(try await Engine.postgres.migratedDatabase())
        }
    }
}

struct Boom: Error {}

/// The job queue, driven step by step with a clock moved by hand, on both stores.
@Suite struct JobTests {
    @Test(arguments: StoreKind.available) func aJobSucceedsWithItsResult(store: StoreKind) async throws {
        let clock = ManualClock()
        let queue = JobQueue(store: try await store.make(), resultExpiry: 100, clock: clock)
        queue.register("double") { payload in .int((payload["n"]?.intValue ?? 0) * 2) }
        let job = try await queue.enqueue("double", payload: ["n": 21], owner: "7")
        #expect(job.state == .queued)
        #expect(job.owner == "7")
        #expect(try await queue.runNext())
        let done = try #require(try await queue.job(job.id))
        #expect(done.state == .succeeded)
        #expect(done.statusJSON["result"] == 42)
        #expect(done.attempts == 1)
        #expect(done.finishedAt != nil)
        #expect(try await !queue.runNext())  // nothing left
    }

    @Test(arguments: StoreKind.available) func aFailingJobRetriesWithBackoffThenFailsForGood(store: StoreKind) async throws {
        let clock = ManualClock()
        let queue = JobQueue(store: try await store.make(), clock: clock)
        queue.register("flaky", maxRetries: 2, backoff: 30) { _ in throw Boom() }
        let job = try await queue.enqueue("flaky")
        try await queue.runNext()
        var stored = try #require(try await queue.job(job.id))
        #expect(stored.state == .retrying)
        #expect(stored.runAt == clock.now + 30)
        #expect(try await !queue.runNext())  // not due yet
        clock.advance(30)
        try await queue.runNext()
        stored = try #require(try await queue.job(job.id))
        #expect(stored.state == .retrying)
        #expect(stored.runAt == clock.now + 60)  // doubled
        clock.advance(60)
        try await queue.runNext()
        stored = try #require(try await queue.job(job.id))
        #expect(stored.state == .failed)
        #expect(stored.attempts == 3)
        #expect(stored.error == "The job failed")  // Boom itself is in the log only
        #expect(stored.finishedAt != nil)
    }

    @Test(arguments: StoreKind.available) func anAttemptThatTakesTooLongFails(store: StoreKind) async throws {
        let queue = JobQueue(store: try await store.make(), clock: ManualClock())
        queue.register("slow", maxRetries: 0, timeout: 0.05) { _ in
            try await Task.sleep(for: .seconds(10))
            return .null
        }
        let job = try await queue.enqueue("slow")
        try await queue.runNext()
        let stored = try #require(try await queue.job(job.id))
        #expect(stored.state == .failed)
        #expect(stored.error?.contains("timed out") == true)
    }

    @Test(arguments: StoreKind.available) func aJobWhoseWorkerDiedIsTakenOverAfterTheVisibilityTimeout(store kind: StoreKind) async throws {
        let clock = ManualClock()
        let store = try await kind.make()
        let job = JobRecord(name: "work", payload: [:], maxAttempts: 3, now: clock.now)
        try await store.insert(job)
        // A worker claims it and dies without finishing.
        let first = try #require(try await store.claim(now: clock.now, visibility: 60))
        #expect(first.id == job.id)
        #expect(try await store.claim(now: clock.now + 59, visibility: 60) == nil)  // still invisible
        let again = try #require(try await store.claim(now: clock.now + 61, visibility: 60))
        #expect(again.id == job.id)
        #expect(again.attempts == 2)
        // The first worker comes back: its outcome no longer counts; the second worker's does.
        #expect(try await !store.succeed(first, result: "late", now: clock.now + 62, expiresAt: clock.now + 1000))
        #expect(try await store.succeed(again, result: "on time", now: clock.now + 62, expiresAt: clock.now + 1000))
        #expect(try await store.find(job.id, now: clock.now + 62)?.result == "\"on time\"")
    }

    /// A job that kills its worker every time used to be taken up forever: each takeover counted
    /// an attempt but nothing stopped at the maximum (issue 10, item 12).
    @Test(arguments: StoreKind.available) func aJobWhoseWorkersKeepDyingFailsAfterItsLastAttempt(store kind: StoreKind) async throws {
        let clock = ManualClock()
        let store = try await kind.make()
        let queue = JobQueue(store: store, visibility: 60, clock: clock)
        let runs = RunCounter()
        queue.register("poison", maxRetries: 1) { _ in
            runs.record("poison")
            return .null
        }
        let job = try await queue.enqueue("poison")
        // Two workers claim it in turn and die (attempts 1 and 2 of 2).
        for _ in 0..<2 {
            _ = try #require(try await store.claim(now: clock.now, visibility: 60))
            clock.advance(61)
        }
        // The next claim finds no attempt left: the job fails and does not run a third time.
        #expect(try await queue.runNext())
        let stored = try #require(try await queue.job(job.id))
        #expect(stored.state == .failed)
        #expect(stored.error == "The job's worker stopped during its last attempt")
        #expect(runs.total == 0)
        #expect(try await !queue.runNext())
    }

    @Test(arguments: StoreKind.available) func resultsExpire(store: StoreKind) async throws {
        let clock = ManualClock()
        let queue = JobQueue(store: try await store.make(), resultExpiry: 3600, clock: clock)
        queue.register("quick") { _ in "done" }
        let finished = try await queue.enqueue("quick")
        try await queue.runNext()
        let waiting = try await queue.enqueue("quick")
        clock.advance(3599)
        #expect(try await queue.job(finished.id)?.state == .succeeded)
        #expect(try await queue.purgeExpired() == 0)
        clock.advance(1)
        #expect(try await queue.job(finished.id) == nil)  // expired: gone even before the purge
        #expect(try await queue.purgeExpired() == 1)
        #expect(try await queue.job(waiting.id)?.state == .queued)  // unfinished jobs never expire
    }

    @Test(arguments: StoreKind.available) func releasingGivesTheAttemptBack(store kind: StoreKind) async throws {
        let clock = ManualClock()
        let store = try await kind.make()
        try await store.insert(JobRecord(name: "work", payload: [:], maxAttempts: 3, now: clock.now))
        let claimed = try #require(try await store.claim(now: clock.now, visibility: 60))
        #expect(try await store.release(claimed, now: clock.now))
        let back = try #require(try await store.find(claimed.id, now: clock.now))
        #expect(back.state == .queued)
        #expect(back.attempts == 0)
        #expect(back.lockedUntil == nil)
        #expect(try await store.claim(now: clock.now, visibility: 60)?.attempts == 1)  // due again at once
    }

    @Test func enqueuingAnUnknownJobThrows() async throws {
        let queue = JobQueue(store: MemoryJobStore())
        await #expect(throws: JobQueue.UnknownJob.self) { try await queue.enqueue("nope") }
    }

    @Test(arguments: StoreKind.available) func aJobNoWorkerKnowsFails(store: StoreKind) async throws {
        let shared = try await store.make()
        let producer = JobQueue(store: shared, clock: ManualClock())
        producer.register("elsewhere") { _ in .null }
        let job = try await producer.enqueue("elsewhere")
        try await JobQueue(store: shared, clock: ManualClock()).runNext()
        let stored = try #require(try await producer.job(job.id))
        #expect(stored.state == .failed)
        #expect(stored.error == "No worker knows job 'elsewhere'")
    }

    /// On PostgreSQL the two queues have a connection pool each, as two instances would, and
    /// claim with `FOR UPDATE SKIP LOCKED`.
    @Test(arguments: Engine.available) func twoWorkersNeverRunTheSameJob(engine: Engine) async throws {
        let counter = RunCounter()
        let database = try await engine.migratedDatabase()
        let other = engine == .sqlite ? database : try AppDatabase(database.location)
        // Two queues (as two processes would have) over one database.
        let queues = [JobQueue(store: SQLJobStore(database)), JobQueue(store: SQLJobStore(other))]
        for queue in queues {
            queue.register("count") { payload in
                counter.record(payload["i"]?.stringValue ?? "?")
                return .null
            }
        }
        for index in 0..<40 { try await queues[0].enqueue("count", payload: ["i": .string("\(index)")]) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for queue in queues {
                group.addTask { while try await queue.runNext() {} }
            }
            try await group.waitForAll()
        }
        #expect(counter.total == 40)
        #expect(counter.maximum == 1)
    }

    @Test func anEnqueuedJobSurvivesARestart() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vial-jobs-\(UUID().uuidString).db").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let counter = RunCounter()
        func queue(_ database: AppDatabase) -> JobQueue {
            let queue = JobQueue(store: SQLJobStore(database))
            queue.register("note") { _ in
                counter.record("ran")
                return "done"
            }
            return queue
        }
        // Given a job enqueued by one process that then stops
        var id = ""
        do {
            id = try await queue(try await migratedDatabase(.file(path))).enqueue("note").id
        }
        // When a new worker opens the same database
        let reopened = queue(try AppDatabase(.file(path)))
        try await reopened.runNext()
        // Then the job runs
        #expect(counter.total == 1)
        #expect(try await reopened.job(id)?.state == .succeeded)
    }
}
