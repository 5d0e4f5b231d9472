import Foundation
import VialApp

/// A registered user. `passwordHash` never leaves the server: the JSON form is `UserPayload`.
public struct User: Sendable, Equatable, Codable {
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

    /// A row of the `users` table.
    public init(row: SQLRow) throws {
        guard let role = Role(rawValue: try row.required("role", SQLRow.string)) else {
            throw SQLError.missingValue(column: "role")
        }
        self.init(
            id: try row.required("id", SQLRow.int64), username: try row.required("username", SQLRow.string),
            email: try row.required("email", SQLRow.string), passwordHash: try row.required("password_hash", SQLRow.string),
            role: role, createdAt: try row.required("created_at", SQLRow.string))
    }

    /// What clients see: `{id, username, email, role, created_at}`.
    public var payload: UserPayload {
        UserPayload(id: id ?? 0, username: username, email: EmailAddress(verbatim: email), role: role, createdAt: createdAt)
    }
}

/// A user as the API shows it: the `User` component of the OpenAPI document is learned from it.
public struct UserPayload: Model, Equatable, Codable {
    public var id: Int64
    public var username: String
    public var email: EmailAddress
    public var role: User.Role
    public var createdAt: String

    public static var modelName: String { "User" }

    enum CodingKeys: String, CodingKey {
        case id, username, email, role
        case createdAt = "created_at"
    }
}
