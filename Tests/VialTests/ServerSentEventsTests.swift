import Foundation
import NIOCore
import Testing
@testable import Vial
import VialTesting

@Suite struct ServerSentEventsTests {
    @Test func dataIsSplitIntoLinesAndFieldsCannotBreakTheFormat() {
        let event = ServerSentEvent(data: "one\ntwo\r\nthree\rfour", event: "up\ndate", id: "7\r\n\0x", retry: 2500)
        #expect(String(buffer: event.encoded) == "id: 7x\nevent: update\nretry: 2500\ndata: one\ndata: two\ndata: three\ndata: four\n\n")
        #expect(String(buffer: ServerSentEvent.ping.encoded) == ": ping\n\n")
        #expect(String(buffer: ServerSentEvent(data: "").encoded) == "data: \n\n")
    }

    @Test func jsonEventsAreOneLine() throws {
        struct Payload: Encodable { var id: Int; var title: String }
        let event = try ServerSentEvent.json(Payload(id: 1, title: "a\nb"), event: "task.created", id: "42")
        #expect(String(buffer: event.encoded) == "id: 42\nevent: task.created\ndata: {\"id\":1,\"title\":\"a\\nb\"}\n\n")
    }

    func app() -> App {
        var config = AppConfig()
        config.accessLog = false
        let app = App("sse-test", config: config)
        app.get("/feed") { req in
            let start = Int(req.lastEventID ?? "0") ?? 0
            return Response.eventStream(ping: .milliseconds(150)) { events in
                for n in (start + 1)...(start + 2) {
                    try await events.send(ServerSentEvent(data: "event \(n)", id: "\(n)"))
                }
                try await Task.sleep(for: .seconds(60))
            }
        }
        app.get("/finite") { _ in
            let events = AsyncStream<ServerSentEvent> { continuation in
                continuation.yield(ServerSentEvent(data: "a", event: "letter"))
                continuation.yield(ServerSentEvent(data: "b", event: "letter"))
                continuation.finish()
            }
            return Response.eventStream(events)
        }
        return app
    }

    @Test func anEventStreamHasTheHeadersClientsAndProxiesExpect() async throws {
        try await app().withLiveServer { client in
            let response = try await client.get("/finite")
            #expect(response.status == .ok)
            #expect(response.header("Content-Type") == "text/event-stream")
            #expect(response.header("Cache-Control") == "no-cache")
            #expect(response.header("X-Accel-Buffering") == "no")
            #expect(response.text == "event: letter\ndata: a\n\nevent: letter\ndata: b\n\n")
        }
    }

    @Test func aQuietStreamIsPingedAndLastEventIDResumes() async throws {
        try await app().withLiveServer { client in
            let connection = try await client.openRaw()
            try await connection.send("GET /feed HTTP/1.1\r\nHost: t\r\nLast-Event-ID: 40\r\n\r\n")
            #expect(try await connection.waitFor("id: 41\ndata: event 41\n\n"))
            #expect(try await connection.waitFor("id: 42\ndata: event 42\n\n"))
            #expect(try await connection.waitFor(": ping\n\n", timeout: .seconds(3)))
            let text = connection.text
            // The ping came after the quiet interval, not between the events.
            let ping = try #require(text.range(of: ": ping"))
            let last = try #require(text.range(of: "event 42"))
            #expect(last.upperBound < ping.lowerBound)
            await connection.close()
        }
    }

    @Test func lastEventIDIsIgnoredWhenEmptyOrHuge() {
        var request = Request(method: .GET, uri: "/", headers: ["Last-Event-ID": ""])
        #expect(request.lastEventID == nil)
        request.headers.replaceOrAdd(name: "Last-Event-ID", value: String(repeating: "9", count: 2_000))
        #expect(request.lastEventID == nil)
        request.headers.replaceOrAdd(name: "Last-Event-ID", value: "task-17")
        #expect(request.lastEventID == "task-17")
    }
}
