import Synchronization

/// `work`'s result, or `late` once `timeout` has passed, whichever comes first — even when
/// `work` is stuck in I/O that does not heed cancellation. Not a task group (a group waits for
/// every child): `work` runs in a task of its own, cancelled at the deadline and left to end on
/// its own; the caller has its answer at the deadline either way.
func firstOf<T: Sendable>(_ work: @escaping @Sendable () async -> T, orAfter timeout: Duration, late: T) async -> T {
    let answer = OneAnswer<T>()
    var timer: Task<Void, Never>?
    let result = await withCheckedContinuation { continuation in
        answer.set(continuation)
        let running = Task { answer.give(await work()) }
        timer = Task {
            try? await Task.sleep(for: timeout)
            if answer.give(late) { running.cancel() }
        }
    }
    timer?.cancel()  // the work answered first: no timer left sleeping
    return result
}

/// Resumes a continuation once, with the first answer given.
private final class OneAnswer<T: Sendable>: Sendable {
    private struct State: ~Copyable {
        var continuation: CheckedContinuation<T, Never>?
        var done = false
    }

    private let state = Mutex(State())

    /// Must be called before any `give` (both tasks start after it).
    func set(_ continuation: CheckedContinuation<T, Never>) {
        state.withLock { $0.continuation = continuation }
    }

    /// Whether this was the first answer.
    @discardableResult
    func give(_ value: T) -> Bool {
        let waiting = state.withLock { state -> CheckedContinuation<T, Never>? in
            guard !state.done else { return nil }
            state.done = true
            defer { state.continuation = nil }
            return state.continuation
        }
        waiting?.resume(returning: value)
        return waiting != nil
    }
}
