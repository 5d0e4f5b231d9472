import Foundation
import Synchronization
import Testing
import Vial
@testable import VialBlueprints

/// The durable job queue, driven step by step with a clock moved by hand.
@Suite struct JobTests {
    final class Clock: Sendable {
        let seconds = Mutex(1_800_000_000.0)
        var now: Double { seconds.withLock { $0 } }
        func advance(_ delta: Double) { seconds.withLock { $0 += delta } }
        var function: @Sendable () -> Double { { [self] in self.now } }
    }

    final class Counter: Sendable {
        let runs = Mutex([String: Int]())
        func record(_ key: String) { runs.withLock { $0[key, default: 0] += 1 } }
        var total: Int { runs.withLock { $0.values.reduce(0, +) } }
        var maximum: Int { runs.withLock { $0.values.max() ?? 0 } }
    }

    struct Boom: Error {}

    func database() async throws -> AppDatabase {
        let database = try AppDatabase.inMemory()
        try await database.writer.writeWithoutTransaction { db in _ = try Migrator().upgrade(db) }
        return database
    }

    @Test func aJobSucceedsWithItsResult() async throws {
        let clock = Clock()
        let worker = JobWorker(
            store: SQLiteJobStore(try await database()),
            jobs: [JobDefinition("double") { payload in .int((payload["n"]?.intValue ?? 0) * 2) }], clock: clock.function)
        let job = try await worker.enqueue("double", payload: ["n": 21])
        #expect(job.state == .queued)
        #expect(try await worker.runOnce())
        let done = try #require(try await worker.store.find(job.id))
        #expect(done.state == .succeeded)
        #expect(done.result == "42")
        #expect(done.attempts == 1)
        #expect(done.finishedAt != nil)
        #expect(try await !worker.runOnce())  // nothing left
    }

    @Test func aFailingJobRetriesWithBackoffThenFailsForGood() async throws {
        let clock = Clock()
        let worker = JobWorker(
            store: SQLiteJobStore(try await database()),
            jobs: [JobDefinition("flaky", maxRetries: 2, backoff: 30) { _ in throw Boom() }], clock: clock.function)
        let job = try await worker.enqueue("flaky", payload: [:])
        try await worker.runOnce()
        var stored = try #require(try await worker.store.find(job.id))
        #expect(stored.state == .retrying)
        #expect(stored.runAt == clock.now + 30)
        #expect(try await !worker.runOnce())  // not due yet
        clock.advance(30)
        try await worker.runOnce()
        stored = try #require(try await worker.store.find(job.id))
        #expect(stored.state == .retrying)
        #expect(stored.runAt == clock.now + 60)  // doubled
        clock.advance(60)
        try await worker.runOnce()
        stored = try #require(try await worker.store.find(job.id))
        #expect(stored.state == .failed)
        #expect(stored.attempts == 3)
        #expect(stored.error?.contains("Boom") == true)
    }

    @Test func aJobWhoseWorkerDiedIsTakenOverAfterTheVisibilityTimeout() async throws {
        let clock = Clock()
        let store = SQLiteJobStore(try await database())
        let job = try await store.enqueue("work", payload: [:], maxAttempts: 3, now: clock.now)
        // A worker claims it and dies without finishing.
        #expect(try await store.claim(now: clock.now, visibility: 60)?.id == job.id)
        #expect(try await store.claim(now: clock.now + 59, visibility: 60) == nil)  // still invisible
        let again = try #require(try await store.claim(now: clock.now + 61, visibility: 60))
        #expect(again.id == job.id)
        #expect(again.attempts == 2)
    }

    @Test func twoWorkersNeverRunTheSameJob() async throws {
        let clock = Clock()
        let counter = Counter()
        let database = try await database()
        let definition = JobDefinition("count") { payload in
            counter.record(payload["i"]?.stringValue ?? "?")
            return .null
        }
        let first = JobWorker(store: SQLiteJobStore(database), jobs: [definition], clock: clock.function)
        let second = JobWorker(store: SQLiteJobStore(database), jobs: [definition], clock: clock.function)
        for index in 0..<40 { _ = try await first.enqueue("count", payload: ["i": .string("\(index)")]) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in [first, second] {
                group.addTask { while try await worker.runOnce() {} }
            }
            try await group.waitForAll()
        }
        #expect(counter.total == 40)
        #expect(counter.maximum == 1)
    }

    @Test func anEnqueuedJobSurvivesARestart() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vial-jobs-\(UUID().uuidString).db").path
        let clock = Clock()
        let counter = Counter()
        let definition = JobDefinition("note") { _ in
            counter.record("ran")
            return "done"
        }
        // Given a job enqueued by one process that then stops
        var id = ""
        do {
            let database = try AppDatabase(.file(path))
            try await database.writer.writeWithoutTransaction { db in _ = try Migrator().upgrade(db) }
            id = try await JobWorker(store: SQLiteJobStore(database), jobs: [definition], clock: clock.function)
                .enqueue("note", payload: [:]).id
        }
        // When a new worker opens the same database
        let reopened = try AppDatabase(.file(path))
        let worker = JobWorker(store: SQLiteJobStore(reopened), jobs: [definition], clock: clock.function)
        try await worker.runOnce()
        // Then the job runs
        #expect(counter.total == 1)
        #expect(try await worker.store.find(id)?.state == .succeeded)
        try? FileManager.default.removeItem(atPath: path)
    }

    @Test func anAttemptThatTakesTooLongFails() async throws {
        let clock = Clock()
        let worker = JobWorker(
            store: SQLiteJobStore(try await database()),
            jobs: [JobDefinition("slow", maxRetries: 0, timeout: 0.05) { _ in
                try await Task.sleep(for: .seconds(10))
                return .null
            }], clock: clock.function)
        let job = try await worker.enqueue("slow", payload: [:])
        try await worker.runOnce()
        let stored = try #require(try await worker.store.find(job.id))
        #expect(stored.state == .failed)
        #expect(stored.error?.contains("timed out") == true)
    }
}
