import GRDB
import Synchronization

/// Group commit for SQLite: writes that arrive while a commit is under way wait together and
/// are committed in one transaction, each inside its own savepoint, so that 64 concurrent
/// creates pay for a few fsyncs instead of 64 (SQLite's durability is an fsync of the WAL per
/// commit; `synchronous` stays FULL, so what was acknowledged survives a power loss, not only
/// kill -9).
///
/// - Each write still succeeds or fails alone: a failing statement, or a transaction whose
///   `.expect` step did not hold, rolls back to its own savepoint and leaves the others.
/// - Nobody is answered before the commit that holds their write has returned.
/// - A lone write runs exactly as before: its own `BEGIN IMMEDIATE … COMMIT`.
/// - Steps with a `.script` (migrations) never share a transaction.
final class SQLiteGroupCommit: Sendable {
    /// One write waiting for a commit.
    enum Work: Sendable {
        case statement(String, [SQLValue])
        case steps([SQLStep])

        /// A migration's script may do anything to the schema: it commits alone.
        var sharesCommit: Bool {
            guard case .steps(let steps) = self else { return true }
            return !steps.contains { if case .script = $0 { true } else { false } }
        }
    }

    enum Outcome: Sendable {
        case rows([SQLRow])
        case kept(Bool)
    }

    private struct Waiting {
        let work: Work
        let continuation: CheckedContinuation<Outcome, any Error>
    }

    /// The most writes one transaction holds: a bound on the work a failure can undo and on
    /// how long a reader's snapshot may lag.
    static let maximumBatch = 128

    private let writer: any DatabaseWriter
    private let state = Mutex<(queue: [Waiting], draining: Bool)>(([], false))

    init(_ writer: any DatabaseWriter) { self.writer = writer }

    /// Runs `work` in the next commit and answers once that commit has returned.
    func run(_ work: Work) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            let starts = state.withLock { state in
                state.queue.append(Waiting(work: work, continuation: continuation))
                if state.draining { return false }
                state.draining = true
                return true
            }
            // One writer-queue job drains everything queued meanwhile; later arrivals join it.
            if starts { writer.asyncWriteWithoutTransaction { db in self.drain(db) } }
        }
    }

    private func drain(_ db: Database) {
        while true {
            let batch = state.withLock { state -> [Waiting] in
                guard let first = state.queue.first else {
                    state.draining = false
                    return []
                }
                var count = 1
                if first.work.sharesCommit {
                    while count < min(state.queue.count, Self.maximumBatch), state.queue[count].work.sharesCommit {
                        count += 1
                    }
                }
                let batch = Array(state.queue.prefix(count))
                state.queue.removeFirst(count)
                return batch
            }
            if batch.isEmpty { return }
            if batch.count == 1 {
                let waiting = batch[0]
                waiting.continuation.resume(with: Result { try Self.alone(waiting.work, db) })
            } else {
                commit(batch, db)
            }
        }
    }

    /// One write in its own transaction.
    private static func alone(_ work: Work, _ db: Database) throws -> Outcome {
        var outcome = Outcome.kept(true)
        try db.inTransaction(.immediate) {
            outcome = try apply(work, db)
            if case .kept(false) = outcome { return .rollback }
            return .commit
        }
        return outcome
    }

    /// Several writes in one transaction, a savepoint each.
    private func commit(_ batch: [Waiting], _ db: Database) {
        var outcomes: [Result<Outcome, any Error>] = []
        outcomes.reserveCapacity(batch.count)
        do {
            try db.inTransaction(.immediate) {
                for waiting in batch {
                    var outcome = Result<Outcome, any Error>.success(.kept(true))
                    do {
                        try db.inSavepoint {
                            outcome = .success(try Self.apply(waiting.work, db))
                            if case .success(.kept(false)) = outcome { return .rollback }
                            return .commit
                        }
                    } catch {
                        // An error that ended the whole transaction (SQLite rolls back on some,
                        // such as a full disk) undoes the writes before it too: fail them all.
                        guard db.isInsideTransaction else { throw error }
                        outcome = .failure(error)
                    }
                    outcomes.append(outcome)
                }
                return .commit
            }
        } catch {
            for waiting in batch { waiting.continuation.resume(throwing: error) }
            return
        }
        for (waiting, outcome) in zip(batch, outcomes) { waiting.continuation.resume(with: outcome) }
    }

    private static func apply(_ work: Work, _ db: Database) throws -> Outcome {
        switch work {
        case .statement(let sql, let arguments): return .rows(try SQLiteEngine.rows(db, sql, arguments))
        case .steps(let steps): return .kept(try SQLiteEngine.apply(steps, in: db))
        }
    }
}
