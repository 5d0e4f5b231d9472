import Synchronization

/// Wakes idle job workers when work arrives and tells them to stop. Waiting is cancellable.
public final class WorkerSignal: Sendable {
    private struct State {
        var stopped = false
        var generation = 0
        var nextWaiter = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// Whether `stop()` was called.
    public var isStopped: Bool { state.withLock { $0.stopped } }
    /// Bumped by every `notify()`; pass it to `wait(timeout:since:)` to catch a notification
    /// that arrives between looking for work and starting to wait.
    public var generation: Int { state.withLock { $0.generation } }

    /// Wakes everyone waiting (new work arrived).
    public func notify() {
        let waiters = state.withLock { state in
            state.generation += 1
            defer { state.waiters = [:] }
            return state.waiters.values
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Asks workers to stop: they take no new job and their waits end.
    public func stop() {
        let waiters = state.withLock { state in
            state.stopped = true
            defer { state.waiters = [:] }
            return state.waiters.values
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns after `timeout`, or earlier on `notify()` after `generation`, `stop()` or cancellation.
    public func wait(timeout: Duration, since generation: Int) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: timeout) }
            group.addTask { await self.change(since: generation) }
            await group.next()
            group.cancelAll()
        }
    }

    /// Returns once `stop()` was called, or on cancellation.
    public func waitUntilStopped() async {
        while !isStopped, !Task.isCancelled { await change(since: generation) }
    }

    private func change(since generation: Int) async {
        let id = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    if state.stopped || state.generation != generation || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}
