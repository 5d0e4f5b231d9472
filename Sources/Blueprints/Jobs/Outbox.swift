import Foundation
import Vial
import VialApp

/// One message the app "sent": the confirmation-email job records it here instead of talking
/// to a mail server (the tasks plugin's `outbox` table). A real mailer would read from here.
public struct OutboxMessage: Sendable, Equatable, Codable {
    public var id: Int64?
    public var recipient: String
    public var subject: String
    public var body: String
    public var createdAt: String

    enum CodingKeys: String, CodingKey {
        case id, recipient, subject, body
        case createdAt = "created_at"
    }

    init(row: SQLRow) throws {
        id = row.int64("id")
        recipient = try row.required("recipient", SQLRow.string)
        subject = try row.required("subject", SQLRow.string)
        body = try row.required("body", SQLRow.string)
        createdAt = try row.required("created_at", SQLRow.string)
    }

    init(id: Int64?, recipient: String, subject: String, body: String, createdAt: String) {
        self.id = id
        self.recipient = recipient
        self.subject = subject
        self.body = body
        self.createdAt = createdAt
    }
}

/// The outbox table.
public struct Outbox: Sendable {
    let database: AppDatabase

    public init(_ database: AppDatabase) { self.database = database }

    /// Records a message.
    @discardableResult
    public func record(recipient: String, subject: String, body: String, at date: Date = Date()) async throws -> OutboxMessage {
        var message = OutboxMessage(id: nil, recipient: recipient, subject: subject, body: body, createdAt: Timestamp.string(date))
        let rows = try await database.write(
            "INSERT INTO outbox (recipient, subject, body, created_at) VALUES (?, ?, ?, ?) RETURNING id",
            [.text(recipient), .text(subject), .text(body), .text(message.createdAt)])
        message.id = rows.first?.int64("id")
        return message
    }

    /// Every message, oldest first.
    public func all() async throws -> [OutboxMessage] {
        try await database.read("SELECT * FROM outbox ORDER BY id").map(OutboxMessage.init(row:))
    }
}
