import Foundation
import Testing
import Vial
import VialBlueprints

/// A task writes its JSON itself (`JSONWritable`, the fast path of a page): it must be the text
/// its `encode(to:)` gives, for every field empty, set, escaped or not ASCII.
@Suite struct TaskItemJSONTests {
    @Test func writesWhatItsEncodeWrites() throws {
        let tasks = [
            TaskItem(id: 1, title: "A", ownerId: 2, createdAt: "2026-12-05T04:00:00Z", updatedAt: "2026-12-05T04:00:00Z"),
            TaskItem(
                id: Int64.max, title: "é 🚀 \"quoted\" \\ and\nnewline \u{1} </script>", description: "ü\u{301}\t",
                status: .completed, dueDate: CalendarDate(year: 2027, month: 1, day: 5), ownerId: -3,
                createdAt: "2026-12-05T04:00:00Z", updatedAt: "2026-12-06T00:00:00Z"),
            TaskItem(id: nil, title: "", description: "", ownerId: 0, createdAt: "", updatedAt: ""),
        ]
        for task in tasks {
            #expect(try Response.json(task).bodyText == (try JSON(encoding: task).serialized) + "\n")
        }
        #expect(try Response.json(tasks).bodyText == (try JSON(encoding: tasks).serialized) + "\n")
    }
}
