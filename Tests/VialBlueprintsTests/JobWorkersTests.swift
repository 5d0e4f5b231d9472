import Foundation
import Synchronization
import Testing
import Vial
@testable import VialBlueprints
import VialTesting

/// Lets a test see that a job started and decide when it may finish.
final class JobGate: Sendable {
    private let state = Mutex((started: false, open: false))
    var started: Bool { state.withLock { $0.started } }
    func open() { state.withLock { $0.open = true } }

    /// Called by the job: marks it started, then waits until the test opens the gate.
    func pass() async throws {
        state.withLock { $0.started = true }
        while !state.withLock({ $0.open }) { try await Task.sleep(for: .milliseconds(5)) }
    }

    /// Waits (up to 10 s) until the job started.
    func waitUntilStarted() async throws {
        for _ in 0..<2000 where !started { try await Task.sleep(for: .milliseconds(5)) }
        #expect(started)
    }
}

/// Waits (up to 10 s) until `condition` holds.
func eventually(_ condition: @Sendable () async throws -> Bool) async throws -> Bool {
    for _ in 0..<1000 {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(10))
    }
    return false
}

/// Worker pools: waking on new work, finishing or releasing jobs at shutdown.
@Suite struct JobWorkersTests {
    @Test(arguments: StoreKind.available) func aRunningJobFinishesWhenShutdownStartsWithinTheGrace(store: StoreKind) async throws {
        let gate = JobGate()
        let queue = JobQueue(store: try await store.make())
        queue.register("gated") { _ in
            try await gate.pass()
            return "finished"
        }
        let job = try await queue.enqueue("gated")
        let signal = WorkerSignal()
        let pool = Task { await JobWorkers(queue: queue, concurrency: 2, shutdownGrace: 30).run(signal: signal) }
        try await gate.waitUntilStarted()
        signal.stop()
        #expect(try await queue.job(job.id)?.state == .running)  // shutdown waits for it
        gate.open()
        await pool.value
        #expect(try await queue.job(job.id)?.state == .succeeded)
    }

    @Test(arguments: StoreKind.available) func aJobStillRunningAfterTheGraceIsReleased(store: StoreKind) async throws {
        let gate = JobGate()
        let queue = JobQueue(store: try await store.make())
        queue.register("stuck") { _ in
            try await gate.pass()  // never opened
            return .null
        }
        let job = try await queue.enqueue("stuck")
        let signal = WorkerSignal()
        let pool = Task { await JobWorkers(queue: queue, concurrency: 1, shutdownGrace: 0.05).run(signal: signal) }
        try await gate.waitUntilStarted()
        signal.stop()
        await pool.value
        let released = try #require(try await queue.job(job.id))
        #expect(released.state == .queued)  // back in the queue, its attempt not counted
        #expect(released.attempts == 0)
        #expect(released.lockedUntil == nil)
    }

    @Test func idleWorkersWakeWhenWorkIsEnqueued() async throws {
        let queue = JobQueue(store: try await StoreKind.sqlite.make())
        queue.register("quick") { _ in "done" }
        let signal = WorkerSignal()
        // An hour between looks: only the enqueue's wake-up can make the job run in time.
        let pool = Task { await JobWorkers(queue: queue, concurrency: 2, pollInterval: 3600).run(signal: signal) }
        try await Task.sleep(for: .milliseconds(200))  // let both workers find nothing and wait
        let job = try await queue.enqueue("quick")
        #expect(try await eventually { try await queue.job(job.id)?.state == .succeeded })
        signal.stop()
        await pool.value
    }

    @Test func idleWorkersDeleteExpiredResults() async throws {
        let clock = ManualClock()
        let database = try await migratedDatabase()
        let queue = JobQueue(store: SQLJobStore(database), resultExpiry: 60, clock: clock)
        queue.register("quick") { _ in "done" }
        try await queue.enqueue("quick")
        try await queue.runNext()
        clock.advance(60)  // the result has expired but its row is still there
        @Sendable func rows() async throws -> Int { try await database.read("SELECT COUNT(*) AS n FROM jobs").first?.int("n") ?? 0 }
        #expect(try await rows() == 1)
        let signal = WorkerSignal()
        let pool = Task { await JobWorkers(queue: queue, concurrency: 2).run(signal: signal) }
        #expect(try await eventually { try await rows() == 0 })
        signal.stop()
        await pool.value
    }

    @Test func aPoolRunsJobsConcurrently() async throws {
        let gates = [JobGate(), JobGate()]
        let queue = JobQueue(store: try await StoreKind.sqlite.make())
        queue.register("gated") { payload in
            try await gates[payload["gate"]!.intValue!].pass()
            return .null
        }
        for index in 0..<2 { try await queue.enqueue("gated", payload: ["gate": .int(index)]) }
        let signal = WorkerSignal()
        let pool = Task { await JobWorkers(queue: queue, concurrency: 2).run(signal: signal) }
        for gate in gates { try await gate.waitUntilStarted() }  // both run at once
        for gate in gates { gate.open() }
        signal.stop()
        await pool.value
    }

    @Test func cancellingThePoolReleasesItsJob() async throws {
        let gate = JobGate()
        let queue = JobQueue(store: MemoryJobStore())
        queue.register("stuck") { _ in
            try await gate.pass()
            return .null
        }
        let job = try await queue.enqueue("stuck")
        let pool = Task { await JobWorkers(queue: queue, concurrency: 1).run(signal: WorkerSignal()) }
        try await gate.waitUntilStarted()
        pool.cancel()
        await pool.value
        #expect(try await queue.job(job.id)?.state == .queued)
    }
}

/// Leases: a running job's worker renews it, and stops when it was lost.
@Suite struct JobLeaseTests {
    @Test(arguments: StoreKind.available) func aLongJobKeepsItsLeaseWhileItRuns(store kind: StoreKind) async throws {
        let clock = ManualClock()
        let gate = JobGate()
        let store = try await kind.make()
        // Leases of 60 s on the hand-moved clock, renewed every 10 ms of real time.
        let queue = JobQueue(store: store, visibility: 60, heartbeat: 0.01, clock: clock)
        queue.register("long") { _ in
            try await gate.pass()
            return "done"
        }
        let job = try await queue.enqueue("long")
        let worker = Task { try await queue.runNext() }
        try await gate.waitUntilStarted()
        for _ in 0..<3 {  // 150 s in all: far past the first lease
            clock.advance(50)
            let renewedTo = clock.now + 60
            #expect(try await eventually { try await store.find(job.id, now: clock.now)?.lockedUntil == renewedTo })
            #expect(try await store.claim(now: clock.now, visibility: 60) == nil)  // nobody else can take it
        }
        gate.open()
        #expect(try await worker.value)
        let done = try #require(try await store.find(job.id, now: clock.now))
        #expect(done.state == .succeeded)
        #expect(done.attempts == 1)
    }

    @Test(arguments: StoreKind.available) func aWorkerThatLostItsLeaseStopsWithoutRecording(store kind: StoreKind) async throws {
        let gate = JobGate()
        let store = try await kind.make()
        let queue = JobQueue(store: store, visibility: 60, heartbeat: 0.01)
        queue.register("stuck") { _ in
            try await gate.pass()  // never opened: only losing the lease ends it
            return "done"
        }
        let job = try await queue.enqueue("stuck")
        let worker = Task { try await queue.runNext() }
        try await gate.waitUntilStarted()
        // Someone else now holds the job (as after a takeover): the fence moves on.
        let claimed = try #require(try await store.find(job.id, now: Date().timeIntervalSince1970))
        #expect(try await store.release(claimed, now: Date().timeIntervalSince1970))
        #expect(try await worker.value)  // the attempt ended by itself
        let after = try #require(try await store.find(job.id, now: Date().timeIntervalSince1970))
        #expect(after.state == .queued)  // not overwritten with a result or an error
        #expect(after.result == nil && after.error == nil)
    }
}
