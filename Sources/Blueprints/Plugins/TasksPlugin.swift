import Foundation
import Vial
import VialApp
import VialMiddleware

/// The `tasks` plugin: tasks and their routes (`/api/tasks`, cached per user, limited per user),
/// the outbox, and the `process_task_data` and `send_confirmation_email` jobs. Provides
/// `TasksPlugin.Tasks` and `TasksPlugin.Mail`.
public struct TasksPlugin: Plugin {
    public enum Tasks: StorageKey { public typealias Value = any TaskStore }
    /// Where the confirmation emails go.
    public enum Mail: StorageKey { public typealias Value = Outbox }
    /// Live task events (published on every write; streamed at `/events`).
    public enum Events: StorageKey { public typealias Value = TaskEvents }
    /// Task attachments: their store, their files and their settings.
    public enum Attachments: StorageKey { public typealias Value = TaskAttachments }

    public var urlPrefix: String

    public init(urlPrefix: String = "/api/tasks") { self.urlPrefix = urlPrefix }

    public var name: String { "tasks" }
    public var dependencies: [String] { ["auth", "jobs"] }
    public var tags: [String: String] { ["tasks": "Tasks of the authenticated user (admins: everyone's)"] }

    public var migrations: [Revision] {
        [
            Revision(
                "0001", "create tasks",
                up: SQLScript { sql in
                    """
                    CREATE TABLE tasks (
                        id \(sql.autoIncrementID),
                        title TEXT NOT NULL,
                        description TEXT,
                        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'completed')),
                        owner_id \(sql.bigint) NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                        created_at TEXT NOT NULL,
                        updated_at TEXT NOT NULL
                    );
                    CREATE INDEX tasks_owner ON tasks(owner_id, id);
                    """
                },
                down: "DROP TABLE tasks"),
            // The guide's Flask-Migrate example.
            Revision(
                "0002", "add tasks.due_date", up: "ALTER TABLE tasks ADD COLUMN due_date TEXT",
                down: "ALTER TABLE tasks DROP COLUMN due_date"),
            Revision(
                "0003", "create the outbox",
                up: SQLScript { sql in
                    """
                    CREATE TABLE outbox (
                        id \(sql.autoIncrementID),
                        recipient TEXT NOT NULL,
                        subject TEXT NOT NULL,
                        body TEXT NOT NULL,
                        created_at TEXT NOT NULL
                    )
                    """
                },
                down: "DROP TABLE outbox"),
            Revision(
                "0004", "create task_attachments",
                up: SQLScript { sql in
                    """
                    CREATE TABLE task_attachments (
                        id \(sql.autoIncrementID),
                        task_id \(sql.bigint) NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
                        owner_id \(sql.bigint) NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                        filename TEXT NOT NULL,
                        content_type TEXT NOT NULL,
                        size \(sql.bigint) NOT NULL,
                        sha256 TEXT NOT NULL,
                        created_at TEXT NOT NULL
                    );
                    CREATE INDEX task_attachments_task ON task_attachments(task_id, id);
                    CREATE INDEX task_attachments_owner ON task_attachments(owner_id);
                    CREATE INDEX task_attachments_sha256 ON task_attachments(sha256);
                    """
                },
                down: "DROP TABLE task_attachments"),
            // The list's order in an index: a page reads its rows and no more, sorts nothing,
            // and its total is counted from the index alone (issue 21; `QueryPlanTests`).
            // `tasks_owner` (owner_id, id) is the first one's prefix: it goes.
            Revision(
                "0005", "index tasks in the list's order",
                up: """
                    CREATE INDEX tasks_owner_page ON tasks(owner_id, created_at DESC, id DESC);
                    CREATE INDEX tasks_page ON tasks(created_at DESC, id DESC);
                    DROP INDEX tasks_owner
                    """,
                down: """
                    CREATE INDEX tasks_owner ON tasks(owner_id, id);
                    DROP INDEX tasks_page;
                    DROP INDEX tasks_owner_page
                    """),
        ]
    }

    /// The old single `schema_version`: tasks came with 0001, due dates with 0002, the outbox with 0004.
    public var legacyVersions: [String: String] { ["0001": "0001", "0002": "0002", "0003": "0002", "0004": "0003"] }

    public func setUp(_ context: PluginContext) throws {
        let users = try context.require(AuthPlugin.Users.self)
        let jobs = try context.require(JobsPlugin.Queue.self)
        let tasks = SQLTaskStore(context.database)
        let outbox = Outbox(context.database)
        let events = TaskEvents(broker: context.broker, logger: context.app.logger)
        context.addService(events)
        let attachments = TaskAttachments(
            store: AttachmentStore(context.database), files: AttachmentFiles(directory: Self.attachmentsDirectory(context)),
            settings: try TaskAttachments.Settings.load(context.settings), clock: context.clock)
        context.addService(AttachmentSweeper(attachments: attachments, logger: context.app.logger))
        TaskJobs.register(
            on: jobs, tasks: tasks, users: users, outbox: outbox, cache: context.cache, events: events, clock: context.clock)
        context.app.register(
            TasksBlueprint.make(
                tasks: tasks, cache: context.cache, jobs: jobs, events: events, attachments: attachments, clock: context.clock),
            urlPrefix: urlPrefix)
        context.provide(Events.self, events)
        context.provide(Attachments.self, attachments)
        context.provide(Tasks.self, tasks)
        context.provide(Mail.self, outbox)
    }

    /// `ATTACHMENTS_DIR`, else `attachments/` in the instance folder (a folder of its own
    /// under the system's temporary folder for an in-memory database, which lasts as long).
    static func attachmentsDirectory(_ context: PluginContext) -> String {
        if let configured = context.settings["ATTACHMENTS_DIR"], !configured.isEmpty {
            return configured.hasPrefix("/") ? configured : FileManager.default.currentDirectoryPath + "/" + configured
        }
        if let folder = context.database.location.instanceFolder { return folder + "/attachments" }
        return NSTemporaryDirectory() + "vial-attachments-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"
    }

    /// With `samples` (`init-db --sample-tasks`), two tasks for each development user.
    public func seed(_ assembly: Assembly, samples: Bool) async throws -> String? {
        guard samples else { return nil }
        let users = try assembly.require(AuthPlugin.Users.self)
        var owners: [User] = []
        for name in ["admin", "user"] {
            if let user = try await users.find(username: name) { owners.append(user) }
        }
        try await DevelopmentSeed.tasks(for: owners, into: try assembly.require(Tasks.self), now: assembly.clock.date)
        return "Created sample tasks for \(owners.map(\.username).joined(separator: " and "))."
    }
}
