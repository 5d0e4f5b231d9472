import Foundation
import GRDB
import Vial
import VialApp

/// One message the app "sent": the confirmation-email job records it here instead of talking
/// to a mail server (the tasks plugin's `outbox` table). A real mailer would read from here.
public struct OutboxMessage: Sendable, Equatable, Codable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "outbox"

    public var id: Int64?
    public var recipient: String
    public var subject: String
    public var body: String
    public var createdAt: String

    enum CodingKeys: String, CodingKey {
        case id, recipient, subject, body
        case createdAt = "created_at"
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// The outbox table.
public struct Outbox: Sendable {
    let database: AppDatabase

    public init(_ database: AppDatabase) { self.database = database }

    /// Records a message.
    @discardableResult
    public func record(recipient: String, subject: String, body: String, at date: Date = Date()) async throws -> OutboxMessage {
        try await database.writer.write { db in
            var message = OutboxMessage(
                id: nil, recipient: recipient, subject: subject, body: body, createdAt: Timestamp.string(date))
            try message.insert(db)
            return message
        }
    }

    /// Every message, oldest first.
    public func all() async throws -> [OutboxMessage] {
        try await database.writer.read { db in try OutboxMessage.order(Column("id")).fetchAll(db) }
    }
}
