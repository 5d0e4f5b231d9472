import ArgumentParser
import Foundation
import GRDB
import Vial
import VialBlueprints
import VialMiddleware

/// `App db …`: versioned migrations in both directions (Flask-Migrate's `flask db …`).
struct DB: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db", abstract: "Manage database migrations.",
        subcommands: [Upgrade.self, Downgrade.self, Current.self, History.self, Stamp.self])

    struct Upgrade: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Upgrade to a revision (default: head).")
        @OptionGroup var environment: EnvironmentOptions
        @Argument(help: "Target revision.") var revision: String?

        func run() async throws {
            try await migrate(environment, verb: "Upgraded to") { try Migrator().upgrade($0, to: revision) }
        }
    }

    struct Downgrade: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Downgrade to a revision, or `base` (default: one step).")
        @OptionGroup var environment: EnvironmentOptions
        @Argument(help: "Target revision or base.") var revision: String?

        func run() async throws {
            try await migrate(environment, verb: "Downgraded") { try Migrator().downgrade($0, to: revision) }
        }
    }

    struct Current: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the current revision.")
        @OptionGroup var environment: EnvironmentOptions

        func run() async throws {
            let database = try openDatabase(environment)
            let migrator = Migrator()
            let current = try await database.writer.read { db in try migrator.current(db) }
            print((current ?? "base") + (current == migrator.head ? " (head)" : ""))
        }
    }

    struct History: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the revisions.")

        func run() {
            var previous = "<base>"
            for revision in Migrator().revisions {
                print("\(previous) -> \(revision.id), \(revision.message)")
                previous = revision.id
            }
        }
    }

    struct Stamp: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record a revision without running migrations.")
        @OptionGroup var environment: EnvironmentOptions
        @Argument(help: "Revision, head or base.") var revision: String

        func run() async throws {
            let database = try openDatabase(environment)
            try await failOnRefusal { try await database.writer.writeWithoutTransaction { db in try Migrator().stamp(db, revision) } }
            print("Stamped \(revision).")
        }
    }
}

/// `App init-db [--sample-tasks] [--force]`: drop everything, migrate to head, seed the development users.
struct InitDB: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init-db", abstract: "Recreate the schema and seed admin/password and user/password.")
    @OptionGroup var environment: EnvironmentOptions
    @Flag(help: "Also create a few tasks per user.") var sampleTasks = false
    @Flag(help: "Allow this in production.") var force = false

    func run() async throws {
        let (config, settings) = try loadOrExit(environment)
        guard config.environment != .production || force else {
            FileHandle.standardError.write(Data("Error: init-db erases all data; refusing in production without --force\n".utf8))
            throw ExitCode(1)
        }
        let database = try AppDatabase(settings.database)
        try await database.writer.writeWithoutTransaction { db in
            let migrator = Migrator()
            try migrator.downgrade(db, to: "base")
            try migrator.upgrade(db)
        }
        let services = Services(database: database, settings: settings)
        let users = try await DevelopmentSeed.users(into: services.users)
        if sampleTasks { try await DevelopmentSeed.tasks(for: users, into: services.tasks) }
        print("Initialized the database; seeded admin/password (admin) and user/password (user)\(sampleTasks ? " with sample tasks" : "").")
    }
}

/// `App create-user NAME --email E [--role admin]`, the password read from standard input.
struct CreateUser: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create-user", abstract: "Create a user; the password is read from standard input.")
    @OptionGroup var environment: EnvironmentOptions
    @Argument(help: "Username.") var name: String
    @Option(help: "Email address.") var email: String
    @Option(help: "user or admin.") var role: String = "user"

    func run() async throws {
        let database = try openDatabase(environment)
        guard let role = User.Role(rawValue: role) else {
            FileHandle.standardError.write(Data("Error: --role must be user or admin\n".utf8))
            throw ExitCode(2)
        }
        let password = readLine(strippingNewline: true) ?? ""
        do {
            _ = try AuthBlueprint.registration.validate(["username": .string(name), "email": .string(email), "password": .string(password)])
        } catch let error as HTTPError {
            FileHandle.standardError.write(Data("Error: \(error.details?.serialized ?? error.message)\n".utf8))
            throw ExitCode(2)
        }
        let hash = try PasswordHasher().hash(password)
        do {
            let user = try await SQLiteUserStore(database).create(
                User(username: name, email: email.lowercased(), passwordHash: hash, role: role, createdAt: Timestamp.string(Date())))
            print("Created user \(user.username) (id \(user.id ?? 0), role \(role.rawValue)).")
        } catch StoreError.conflict(let field) {
            FileHandle.standardError.write(Data("Error: that \(field) is already taken\n".utf8))
            throw ExitCode(1)
        }
    }
}

/// Runs migration steps on the configured database (each step its own transaction) and reports them.
func migrate(
    _ environment: EnvironmentOptions, verb: String, _ steps: @escaping @Sendable (Database) throws -> [Revision]
) async throws {
    let database = try openDatabase(environment)
    let done = try await failOnRefusal { try await database.writer.writeWithoutTransaction(steps) }
    print(done.isEmpty ? "Already at the target revision." : done.map { "\(verb) \($0.id): \($0.message)" }.joined(separator: "\n"))
}

/// The configured database, opened (not migrated).
func openDatabase(_ environment: EnvironmentOptions) throws -> AppDatabase {
    let (_, settings) = try loadOrExit(environment)
    return try AppDatabase(settings.database)
}
