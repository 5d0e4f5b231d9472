import Foundation
import Testing
import Vial
import VialBlueprints

/// The bundled API's answers are typed models: what each sends passes the schema the OpenAPI
/// document shows for it, and decodes back to the same value.
@Suite struct AnswerModelTests {
    func roundTrip<M: Model & Encodable & Equatable>(_ value: M) throws {
        let sent = try JSON(encoding: value)
        #expect(try M.validate(sent) == value, "\(M.self): \(sent)")
    }

    @Test func everyAnswerPassesItsDocumentedSchema() throws {
        let stamp = "2026-12-04T10:00:00Z"
        try roundTrip(TaskItem(id: 1, title: "A", ownerId: 2, createdAt: stamp, updatedAt: stamp))
        try roundTrip(
            TaskItem(
                id: 1, title: "A", description: "b", status: .completed, dueDate: CalendarDate("2026-12-31"), ownerId: 2,
                createdAt: stamp, updatedAt: stamp))
        try roundTrip(
            User(id: 3, username: "ann", email: "ann@example.com", passwordHash: "x", role: .admin, createdAt: stamp).payload)
        try roundTrip(
            JobStatus(id: "j", name: "n", state: .queued, attempts: 0, result: nil, error: nil, createdAt: stamp, finishedAt: nil))
        try roundTrip(
            JobStatus(
                id: "j", name: "n", state: .succeeded, attempts: 1, result: ["ok": true], error: "once", createdAt: stamp,
                finishedAt: stamp))
        try roundTrip(Attachment(id: 4, taskId: 1, ownerId: 2, filename: "a.txt", contentType: "text/plain", size: 3, sha256: "ab", createdAt: stamp))
    }

    /// Nulls are written, never left out: the schema says these fields are always present.
    @Test func nullFieldsAreSentAndRequired() throws {
        let task = TaskItem(id: 1, title: "A", ownerId: 2, createdAt: "t", updatedAt: "t")
        let sent = try JSON(encoding: task)
        #expect(sent["description"] == .null && sent["due_date"] == .null)
        let required = TaskItem.schema.fields.filter(\.required).map(\.name)
        #expect(Set(required) == ["id", "title", "description", "status", "due_date", "owner_id", "created_at", "updated_at"])
        var missing = sent
        missing["description"] = .none
        #expect(throws: HTTPError.self) { try TaskItem.validate(missing) }
    }
}
