import Synchronization

/// How one readiness check ended.
public enum ReadinessState: String, Sendable, Equatable {
    case ok
    /// The check failed (the dependency refused, or answered with an error).
    case unavailable
    /// No answer within the budget (a blackholed host, a listener that never answers).
    case timedOut = "timed_out"
}

/// What must answer before an instance takes traffic (`GET /health/ready`): the database and
/// each Redis the app uses. The core adds its own (database, rate limits, cache); plugins add
/// theirs through `PluginContext.readiness`.
public final class ReadinessChecks: Sendable {
    public typealias Check = @Sendable () async throws -> Void
    private let checks = Mutex<[(name: String, check: Check)]>([])

    public init() {}

    /// Adds a check; `name` is how the readiness answer reports it (`database`, `cache`, …).
    public func add(_ name: String, _ check: @escaping Check) {
        checks.withLock { $0.append((name, check)) }
    }

    /// Runs every check at once and answers within `timeout` whatever the checks do: a check
    /// that throws is `unavailable`, one still running at the deadline `timedOut` (it is
    /// cancelled and left to end on its own). In the order the checks were added.
    public func run(timeout: Duration = .seconds(2)) async -> [(name: String, state: ReadinessState)] {
        let all = checks.withLock { $0 }
        var states: [ReadinessState] = []
        // Each check started before any is awaited, so they run at once.
        let pending = all.map { entry in Task { await Self.bounded(entry.check, timeout: timeout) } }
        for task in pending { states.append(await task.value) }
        return zip(all, states).map { ($0.name, $1) }
    }

    /// `check`'s outcome, or `.timedOut` at the deadline (see `firstOf`: a check stuck in socket
    /// I/O kept a task-group race from answering for a whole outage).
    static func bounded(_ check: @escaping Check, timeout: Duration) async -> ReadinessState {
        await firstOf({ (try? await check()) != nil ? .ok : .unavailable }, orAfter: timeout, late: .timedOut)
    }
}
