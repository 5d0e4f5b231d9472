import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Testing
@testable import Vial

@Suite struct AccessLogTests {
    private func capture() -> (LogWriter, NIOLockedValueBox<String>) {
        let text = NIOLockedValueBox("")
        let writer = LogWriter(capacity: 1 << 20, output: { bytes in text.withLockedValue { $0 += String(decoding: bytes, as: UTF8.self) } })
        return (writer, text)
    }

    private func request(uri: String) -> Request {
        var request = Request(method: .GET, uri: uri, remoteAddress: "127.0.0.1")
        request.id = "0123456789abcdef0123456789abcdef"
        return request
    }

    /// Everything after the timestamp (which may tick between two lines).
    private func withoutStamp(_ line: String) -> Substring { line.drop { $0 != " " } }

    /// The line formatted straight into the queue is the line the handler writes for the same message.
    @Test func theDirectLineIsTheHandlersLine() throws {
        let (writer, text) = capture()
        let logger = Logger(label: "vial.app") { BackgroundLogHandler(label: $0, writer: writer, level: .info) }
        let log = AccessLog(logger: logger)
        let response = Response(status: .created, body: ByteBuffer(string: "{\"ok\":true}"))
        log.record(request(uri: "/api/tasks/?page=2"), response, micros: 1_081)
        writer.flush()
        let message = "127.0.0.1 \"GET /api/tasks/?page=2 HTTP/1.1\" 201 11 \(Double(1_081) / 1000)ms"
        let event = LogEvent(level: .info, message: "\(message)", metadata: nil, source: "Vial", file: "f", function: "f", line: 1)
        let expected = BackgroundLogHandler.format(event, label: "vial.app", metadata: ["request_id": "0123456789abcdef0123456789abcdef"])
        #expect(withoutStamp(text.withLockedValue { $0 }) == withoutStamp(expected))
        #expect(text.withLockedValue { $0 }.hasSuffix("\"GET /api/tasks/?page=2 HTTP/1.1\" 201 11 1.081ms\n"))
    }

    /// Issue 17: an EventSource sends its token in the URL (`?jwt=`): the log never shows it.
    @Test func secretsInTheQueryStringAreRedacted() {
        let (writer, text) = capture()
        let logger = Logger(label: "vial.app") { BackgroundLogHandler(label: $0, writer: writer, level: .info) }
        let log = AccessLog(logger: logger, redacting: AccessLog.defaultRedactedParameters.union(["sse_key"]))
        log.record(request(uri: "/api/tasks/events?jwt=eyJ.S3CR3T.sig&x=1&sse_key=KEYVALUE&%6Awt=TWOVALUE&token"), Response(), micros: 5)
        writer.flush()
        let line = text.withLockedValue { $0 }
        #expect(line.contains("\"GET /api/tasks/events?jwt=[redacted]&x=1&sse_key=[redacted]&%6Awt=[redacted]&token HTTP/1.1\""))
        #expect(!line.contains("S3CR3T") && !line.contains("KEYVALUE") && !line.contains("TWOVALUE"))
        #expect(AccessLog.redact("/plain?page=2", AccessLog.defaultRedactedParameters) == "/plain?page=2")
        // A WebSocket ticket is single-use and short-lived, and still never written.
        #expect(AccessLog.redact("/api/tasks/live?ticket=abc.def", AccessLog.defaultRedactedParameters) == "/api/tasks/live?ticket=[redacted]")
    }

    @Test func millisecondsAreWrittenAsDoubleWouldWriteThem() {
        for micros in Array(0...3_000) + [9_999, 10_000, 123_456, 1_000_001, 987_654_321] {
            var bytes: [UInt8] = []
            AccessLog.appendMilliseconds(Int64(micros), to: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == "\(Double(micros) / 1000)", "\(micros)")
        }
    }

    /// A long target still goes through the handler, which cuts it.
    @Test func longTargetsAreCut() {
        let (writer, text) = capture()
        let logger = Logger(label: "vial.app") { BackgroundLogHandler(label: $0, writer: writer, level: .info) }
        AccessLog(logger: logger).record(request(uri: "/" + String(repeating: "a", count: 80_000)), Response(), micros: 5)
        writer.flush()
        let line = text.withLockedValue { $0 }
        #expect(line.utf8.count < 4_400)
        #expect(line.contains("bytes cut]"))
    }

    /// A logger above info writes nothing; a handler with its own metadata keeps it.
    @Test func levelAndHandlerMetadataAreRespected() {
        let (writer, text) = capture()
        let quiet = Logger(label: "vial.app") { BackgroundLogHandler(label: $0, writer: writer, level: .warning) }
        AccessLog(logger: quiet).record(request(uri: "/"), Response(), micros: 5)
        var tagged = Logger(label: "vial.app") { BackgroundLogHandler(label: $0, writer: writer, level: .info) }
        tagged[metadataKey: "instance"] = "a"
        AccessLog(logger: tagged).record(request(uri: "/x"), Response(), micros: 5)
        writer.flush()
        let lines = text.withLockedValue { $0 }.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.contains("instance=a request_id=") == true)
    }
}
