import ArgumentParser
import Foundation
import Vial
import VialApp
import VialMiddleware

/// The `jobs` plugin: the durable job queue in the app's database, in-process workers next to
/// the server (`JOBS_CONCURRENCY`), `GET /api/jobs/<job_id>` and the `worker` command. Other
/// plugins register their jobs on `JobsPlugin.Queue`. Settings: `JOBS_CONCURRENCY`,
/// `JOBS_RESULT_EXPIRES`, `JOBS_VISIBILITY_TIMEOUT`.
public struct JobsPlugin: Plugin {
    /// The queue: register jobs on it, enqueue from handlers.
    public enum Queue: StorageKey { public typealias Value = JobQueue }
    /// The settings the plugin read.
    public enum Settings: StorageKey { public typealias Value = JobsSettings }

    public var urlPrefix: String

    public init(urlPrefix: String = "/api/jobs") { self.urlPrefix = urlPrefix }

    public var name: String { "jobs" }
    /// The status route reads the caller from auth's tokens.
    public var dependencies: [String] { ["auth"] }
    public var tags: [String: String] { ["jobs": "Background jobs"] }
    public var commands: [any ParsableCommand.Type] { [Worker.self] }

    public var migrations: [Revision] {
        [
            Revision(
                "0001", "create the job queue",
                up: SQLScript { sql in
                    """
                    CREATE TABLE jobs (
                        id TEXT PRIMARY KEY,
                        name TEXT NOT NULL,
                        payload TEXT NOT NULL,
                        owner TEXT,
                        state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'retrying', 'succeeded', 'failed')),
                        attempts INTEGER NOT NULL DEFAULT 0,
                        max_attempts INTEGER NOT NULL,
                        run_at \(sql.double) NOT NULL,
                        locked_until \(sql.double),
                        result TEXT,
                        error TEXT,
                        created_at TEXT NOT NULL,
                        finished_at TEXT,
                        expires_at \(sql.double)
                    );
                    CREATE INDEX jobs_ready ON jobs(state, run_at);
                    CREATE INDEX jobs_expiry ON jobs(expires_at) WHERE expires_at IS NOT NULL;
                    """
                },
                down: "DROP TABLE jobs")
        ]
    }

    /// The old single `schema_version`: the job table came with 0004.
    public var legacyVersions: [String: String] { ["0004": "0001"] }

    public func setUp(_ context: PluginContext) throws {
        let settings = try JobsSettings.load(context.config)
        let queue = JobQueue(
            store: SQLJobStore(context.database), visibility: Double(settings.visibilityTimeout),
            resultExpiry: Double(settings.resultExpires), clock: context.clock)
        queue.publishChanges(to: context.broker)
        context.app.register(JobsBlueprint.make(jobs: queue, broker: context.broker), urlPrefix: urlPrefix)
        context.provide(Queue.self, queue)
        context.provide(Settings.self, settings)
        if settings.concurrency > 0 {
            context.addService(JobWorkers(queue: queue, concurrency: settings.concurrency))
            context.announce(" * Background jobs: \(settings.concurrency) worker(s) in this process")
        } else {
            context.announce(" * Background jobs: no worker in this process (JOBS_CONCURRENCY=0); run `\(Application.commandName) worker`")
        }
    }
}

/// The jobs plugin's settings.
public struct JobsSettings: Sendable {
    /// `JOBS_CONCURRENCY`: workers inside `serve` (0 = none; run `worker`).
    public var concurrency: Int
    /// `JOBS_RESULT_EXPIRES`: seconds a finished job's result stays readable (Celery's `result_expires`).
    public var resultExpires: Int
    /// `JOBS_VISIBILITY_TIMEOUT`: seconds before a job whose worker vanished runs again (running jobs renew it).
    public var visibilityTimeout: Int

    public static func load(_ config: AppConfig) throws -> JobsSettings {
        let settings = config.settings
        return JobsSettings(
            concurrency: try settings.integer("JOBS_CONCURRENCY", default: 1, in: 0...64),
            resultExpires: try settings.seconds("JOBS_RESULT_EXPIRES", default: 3600),
            visibilityTimeout: try settings.seconds("JOBS_VISIBILITY_TIMEOUT", default: 60))
    }
}

/// `worker`: runs background jobs on its own, Celery's `celery worker -c N`.
struct Worker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run background job workers (no HTTP server).")

    @OptionGroup var environment: EnvironmentOptions
    @Option(name: [.short, .long], help: "Workers in this process (default JOBS_CONCURRENCY, at least 1).")
    var concurrency: Int?

    func validate() throws {
        if let concurrency, !(1...64).contains(concurrency) { throw ValidationError("--concurrency must be from 1 to 64") }
    }

    func run() async throws {
        _ = try environment.load()  // a bad setting exits before logging starts
        BackgroundLogHandler.bootstrap()
        defer { BackgroundLogHandler.flush() }
        let assembly = try await environment.prepare()
        let queue = try assembly.require(JobsPlugin.Queue.self)
        let settings = try assembly.require(JobsPlugin.Settings.self)
        let workers = JobWorkers(queue: queue, concurrency: concurrency ?? max(settings.concurrency, 1))
        print(" * Worker for '\(assembly.config.environment.rawValue)': \(workers.concurrency) worker(s); jobs: \(queue.names.joined(separator: ", "))")
        print(" * Press CTRL+C to quit")
        fflush(nil)
        try await runUntilSignalled([workers], logger: queue.logger)
        print(" * Shut down cleanly")
    }
}
