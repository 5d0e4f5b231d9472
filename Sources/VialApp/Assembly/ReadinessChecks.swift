import Synchronization

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

    /// Runs every check at once; a check that throws or takes longer than `timeout` counts as
    /// failed. Returns each name with whether it passed, in the order they were added.
    public func run(timeout: Duration = .seconds(2)) async -> [(name: String, ok: Bool)] {
        let all = checks.withLock { $0 }
        let results = await withTaskGroup(of: (Int, Bool).self) { group in
            for (index, entry) in all.enumerated() {
                group.addTask {
                    await withTaskGroup(of: Bool?.self) { race in
                        race.addTask { (try? await entry.check()) != nil }
                        race.addTask {
                            try? await Task.sleep(for: timeout)
                            return nil
                        }
                        let first = await race.next() ?? nil
                        race.cancelAll()
                        return (index, first ?? false)
                    }
                }
            }
            return await group.reduce(into: [Int: Bool]()) { $0[$1.0] = $1.1 }
        }
        return all.enumerated().map { ($0.element.name, results[$0.offset] ?? false) }
    }
}
