import Foundation
import Testing
import Vial
@testable import VialBlueprints

/// The event history keeps each event's payload as it came and reads only its id (issue 21:
/// decoding every event cost a fifth of a create); a resuming client gets them decoded.
@Suite struct TaskEventsHistoryTests {
    func event(_ id: String, title: String = "t") -> TaskEvents.Event {
        TaskEvents.Event(
            id: id, type: "task.created", ownerId: 7,
            task: TaskItem(id: 1, title: title, ownerId: 7, createdAt: "2026-01-01T00:00:00Z", updatedAt: "2026-01-01T00:00:00Z"))
    }

    @Test func theIdIsReadFromThePayloadWhateverWroteIt() throws {
        #expect(TaskEvents.eventID(try JSONCoding.encode(event("1733-ab"))) == "1733-ab")
        // Another writer's key order, or an escaped id: parsed whole.
        let reordered = Array(#"{"type":"task.created","owner_id":7,"id":"9-x","task":{"id":1,"title":"t","status":"pending","owner_id":7,"created_at":"a","updated_at":"b"}}"#.utf8)
        #expect(TaskEvents.eventID(reordered) == "9-x")
        #expect(TaskEvents.eventID(try JSONCoding.encode(event("a\"b\\c"))) == "a\"b\\c")
        #expect(TaskEvents.eventID(Array("not json".utf8)) == nil)
    }

    @Test func replayDecodesWhatCameAfterTheLastEventID() throws {
        let events = TaskEvents(broker: LocalBroker())
        for (id, title) in [("1", "first"), ("2", "second"), ("3", "third")] {
            let payload = try JSONCoding.encode(event(id, title: title))
            events.record(.init(id: try #require(TaskEvents.eventID(payload)), payload: payload))
        }
        #expect(events.replay(after: "1") == .events([event("2", title: "second"), event("3", title: "third")]))
        #expect(events.replay(after: "3") == .events([]))
        #expect(events.replay(after: "0") == .unknown)
    }
}
