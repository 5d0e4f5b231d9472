import PostgresNIO
import Synchronization

/// One statement under way on PostgreSQL: when it started, the connection it leased, and why
/// the engine's watcher ended it, if it did.
final class PostgresLease: Sendable {
    enum Verdict: Sendable { case down, noConnection }

    let started = ContinuousClock.now
    fileprivate let state = Mutex(State())

    fileprivate struct State {
        var connection: PostgresConnection?
        var verdict: Verdict?
        var closing = false
        var task: RunningTask?
    }

    func leased(_ connection: PostgresConnection) { state.withLock { $0.connection = connection } }

    /// Why the watcher ended the statement (nil: it did not).
    var verdict: Verdict? { state.withLock { $0.verdict } }
}

/// The task a statement runs in, cancelled by the watcher. `UnsafeCurrentTask` may be used only
/// while its task runs: `PostgresStatements` cancels it under the lock the statement's task
/// takes to leave the list before it ends.
private struct RunningTask: @unchecked Sendable {
    let task: UnsafeCurrentTask
}

/// The statements under way on one engine, for its watcher (`PostgresEngine.watch`).
final class PostgresStatements: Sendable {
    private let leases = Mutex<[ObjectIdentifier: PostgresLease]>([:])

    /// Runs `body` in the current (child) task, listed for `end` until it returns.
    func running<T>(_ lease: PostgresLease, _ body: () async throws -> T) async throws -> T {
        withUnsafeCurrentTask { task in
            lease.state.withLock { $0.task = task.map(RunningTask.init) }
        }
        leases.withLock { $0[ObjectIdentifier(lease)] = lease }
        defer {
            leases.withLock {
                $0[ObjectIdentifier(lease)] = nil
                lease.state.withLock { $0.task = nil }
            }
        }
        return try await body()
    }

    /// How long the oldest statement has been under way; nil when none is.
    func oldestAge(now: ContinuousClock.Instant) -> Duration? {
        leases.withLock { leases in leases.values.map(\.started).min().map { now - $0 } }
    }

    /// Ends what must end: with the server down, statements waiting for a connection (cancelled)
    /// and those waiting for an answer (their connections returned, for the caller to close);
    /// else those without a connection after `timeout`.
    func end(now: ContinuousClock.Instant, down: Bool, timeout: Duration) -> [PostgresConnection] {
        leases.withLock { leases in
            var closing: [PostgresConnection] = []
            for lease in leases.values {
                lease.state.withLock { state in
                    guard state.verdict == nil, !state.closing else { return }
                    if down, let connection = state.connection {
                        state.closing = true
                        closing.append(connection)
                    } else if state.connection == nil, down || now - lease.started >= timeout {
                        state.verdict = down ? .down : .noConnection
                        state.task?.task.cancel()
                    }
                }
            }
            return closing
        }
    }
}
