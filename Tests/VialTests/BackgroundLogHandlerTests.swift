import Foundation
import Logging
import NIOConcurrencyHelpers
import Testing
@testable import Vial

@Suite struct BackgroundLogHandlerTests {
    /// An 80 KB URL made one 80 KB log line (issue 10, item 11).
    @Test func longMessagesAreCut() {
        let event = LogEvent(level: .info, message: "GET /\(String(repeating: "a", count: 80_000))", metadata: nil, source: "t", file: "f", function: "f", line: 1)
        let line = BackgroundLogHandler.format(event, label: "vial.app", metadata: [:])
        #expect(line.utf8.count < 4_300)
        #expect(line.hasSuffix("… [75909 bytes cut]\n"))
        let short = LogEvent(level: .info, message: "GET /health", metadata: nil, source: "t", file: "f", function: "f", line: 1)
        #expect(BackgroundLogHandler.format(short, label: "vial.app", metadata: [:]).hasSuffix(": GET /health\n"))
    }

    @Test func writesEveryLineInOrder() {
        let lines = NIOLockedValueBox<[String]>([])
        let writer = LogWriter(capacity: 100_000, output: { bytes in lines.withLockedValue { $0.append(String(decoding: bytes, as: UTF8.self)) } })
        for index in 0..<200 { writer.enqueue("line \(index)\n") }
        writer.flush()
        #expect(lines.withLockedValue { $0 }.joined() == (0..<200).map { "line \($0)\n" }.joined())
    }

    /// Lines queued while the writer is busy go out in one write, not one system call each.
    @Test func queuedLinesAreWrittenInOneBatch() async throws {
        let started = NIOLockedValueBox(false)
        let release = ConditionLock(value: 0)
        let writes = NIOLockedValueBox<[String]>([])
        let writer = LogWriter(capacity: 100_000, output: { bytes in
            let text = String(decoding: bytes, as: UTF8.self)
            if text == "first\n" {
                started.withLockedValue { $0 = true }
                release.lock(whenValue: 1)
                release.unlock()
            }
            writes.withLockedValue { $0.append(text) }
        })
        writer.enqueue("first\n")
        while !started.withLockedValue({ $0 }) { try await Task.sleep(for: .milliseconds(1)) }
        for index in 0..<100 { writer.enqueue("line \(index)\n") }
        release.lock()
        release.unlock(withValue: 1)
        writer.flush()
        let written = writes.withLockedValue { $0 }
        #expect(written == ["first\n", (0..<100).map { "line \($0)\n" }.joined()])
    }

    @Test func theTimestampIsTheCurrentSecond() {
        #expect(BackgroundLogHandler.stamp() == Timestamp.string(Date()) || BackgroundLogHandler.stamp() == Timestamp.string(Date()))
    }

    @Test func dropsAndReportsLinesWhenTheQueueIsFull() async throws {
        let started = NIOLockedValueBox(false)
        let release = ConditionLock(value: 0)
        let lines = NIOLockedValueBox<[String]>([])
        let writer = LogWriter(capacity: 27, output: { bytes in
            let line = String(decoding: bytes, as: UTF8.self)
            if line == "first\n" {
                started.withLockedValue { $0 = true }
                release.lock(whenValue: 1)  // hold the writer thread until the queue has overflowed
                release.unlock()
            }
            lines.withLockedValue { $0.append(line) }
        })
        writer.enqueue("first\n")
        while !started.withLockedValue({ $0 }) { try await Task.sleep(for: .milliseconds(1)) }
        for index in 0..<5 { writer.enqueue("queued \(index)\n") }  // 3 fit in 27 bytes, 2 are dropped
        release.lock()
        release.unlock(withValue: 1)
        writer.flush()
        let written = lines.withLockedValue { $0 }.joined()
        #expect(written == "first\n[vial] 2 log lines dropped: the log writer fell behind\nqueued 0\nqueued 1\nqueued 2\n")
    }

    @Test func formatsLevelLabelMetadataAndMessage() {
        let event = LogEvent(level: .info, message: "hello", metadata: nil, source: "Vial", file: "f", function: "g", line: 1)
        let line = BackgroundLogHandler.format(event, label: "vial.app", metadata: ["request_id": "abc"])
        #expect(line.hasSuffix(" info vial.app: request_id=abc hello\n"))
    }
}
