import Foundation
import GRDB

/// A registered user. `passwordHash` never leaves the server: the JSON form is `UserPayload`.
public struct User: Sendable, Equatable, Codable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "users"

    public enum Role: String, Sendable, Codable, CaseIterable {
        case user, admin
    }

    public var id: Int64?
    public var username: String
    public var email: String
    public var passwordHash: String
    public var role: Role
    /// ISO 8601 UTC, seconds precision (`2026-11-25T13:34:33Z`).
    public var createdAt: String

    enum CodingKeys: String, CodingKey {
        case id, username, email, role
        case passwordHash = "password_hash"
        case createdAt = "created_at"
    }

    public init(id: Int64? = nil, username: String, email: String, passwordHash: String, role: Role, createdAt: String) {
        self.id = id
        self.username = username
        self.email = email
        self.passwordHash = passwordHash
        self.role = role
        self.createdAt = createdAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }

    /// What clients see: `{id, username, email, role, created_at}`.
    public var payload: UserPayload {
        UserPayload(id: id ?? 0, username: username, email: email, role: role.rawValue, createdAt: createdAt)
    }
}

/// A user as the API shows it.
public struct UserPayload: Sendable, Equatable, Codable {
    public var id: Int64
    public var username: String
    public var email: String
    public var role: String
    public var createdAt: String

    enum CodingKeys: String, CodingKey {
        case id, username, email, role
        case createdAt = "created_at"
    }
}
