import Foundation
import Vial
import VialMiddleware

/// The development accounts: `admin`/`password` (admin) and `user`/`password` (user).
public enum DevelopmentSeed {
    /// Creates both accounts; returns the users created. An account that exists already is
    /// skipped: instances starting at once on one database all seed, and only one makes each.
    @discardableResult
    public static func users(into store: any UserStore, hasher: PasswordHasher = PasswordHasher(), now: Date = Date())
        async throws -> [User]
    {
        var created: [User] = []
        for (name, role) in [("admin", User.Role.admin), ("user", User.Role.user)] {
            let hash = try await hasher.hashOffLoop("password")
            do {
                created.append(
                    try await store.create(
                        User(username: name, email: "\(name)@example.com", passwordHash: hash, role: role, createdAt: Timestamp.string(now))))
            } catch StoreError.conflict {
                continue
            }
        }
        return created
    }

    /// A few tasks for each user (`init-db --sample-tasks`).
    public static func tasks(for owners: [User], into store: any TaskStore, now: Date = Date()) async throws {
        let stamp = Timestamp.string(now)
        for owner in owners {
            guard let id = owner.id else { continue }
            for (title, status) in [("Learn Vial basics", TaskItem.Status.completed), ("Build the first API", .pending)] {
                _ = try await store.create(
                    TaskItem(title: "\(title) (\(owner.username))", status: status, ownerId: id, createdAt: stamp, updatedAt: stamp))
            }
        }
    }
}
