import Vial
import NIOCore
import NIOHTTP1
import NIOConcurrencyHelpers

/// Sends requests to an app in tests — in-process (`TestClient`) or over a socket (`LiveTestClient`).
public protocol TestClientProtocol: Sendable {
    /// Sends one request and returns the response.
    func execute(_ method: HTTPMethod, _ uri: String, headers: HTTPHeaders, body: ByteBuffer?) async throws
        -> TestResponse
    /// Opens a WebSocket on `uri`: the handshake (with `headers` added) goes through the app like
    /// any request. Throws `WebSocketHandshakeRefused` with the app's answer when it refuses.
    /// `webSocket(_:headers:_:)` opens, runs a body and closes.
    func openWebSocket(_ uri: String, headers: HTTPHeaders) async throws -> TestWebSocket
}

extension TestClientProtocol {
    /// `GET uri`.
    public func get(_ uri: String, headers: HTTPHeaders = [:]) async throws -> TestResponse {
        try await execute(.GET, uri, headers: headers, body: nil)
    }
    /// `HEAD uri`.
    public func head(_ uri: String, headers: HTTPHeaders = [:]) async throws -> TestResponse {
        try await execute(.HEAD, uri, headers: headers, body: nil)
    }
    /// `OPTIONS uri`.
    public func options(_ uri: String, headers: HTTPHeaders = [:]) async throws -> TestResponse {
        try await execute(.OPTIONS, uri, headers: headers, body: nil)
    }
    /// `DELETE uri`.
    public func delete(_ uri: String, headers: HTTPHeaders = [:]) async throws -> TestResponse {
        try await execute(.DELETE, uri, headers: headers, body: nil)
    }
    /// `method uri` with a JSON body and `Content-Type: application/json`.
    public func send(_ method: HTTPMethod, _ uri: String, json: JSON, headers: HTTPHeaders = [:]) async throws
        -> TestResponse
    {
        var headers = headers
        headers.replaceOrAdd(name: "Content-Type", value: "application/json")
        return try await execute(method, uri, headers: headers, body: ByteBuffer(string: json.serialized))
    }
    /// `method uri` with a raw body and optional content type.
    public func send(
        _ method: HTTPMethod, _ uri: String, body: String, contentType: String? = nil, headers: HTTPHeaders = [:]
    ) async throws -> TestResponse {
        var headers = headers
        if let contentType { headers.replaceOrAdd(name: "Content-Type", value: contentType) }
        return try await execute(method, uri, headers: headers, body: ByteBuffer(string: body))
    }
    /// `POST uri` with a JSON body.
    public func post(_ uri: String, json: JSON, headers: HTTPHeaders = [:]) async throws -> TestResponse {
        try await send(.POST, uri, json: json, headers: headers)
    }
    /// `PUT uri` with a JSON body.
    public func put(_ uri: String, json: JSON, headers: HTTPHeaders = [:]) async throws -> TestResponse {
        try await send(.PUT, uri, json: json, headers: headers)
    }
    /// `PATCH uri` with a JSON body.
    public func patch(_ uri: String, json: JSON, headers: HTTPHeaders = [:]) async throws -> TestResponse {
        try await send(.PATCH, uri, json: json, headers: headers)
    }
}

/// Runs requests through the whole app in-process, no socket — Flask's `app.test_client()`.
/// It calls the same `AppResponder.respond(to:)` the server calls.
///
/// ```swift
/// let client = try app.testClient()
/// let response = try await client.get("/api/hello")
/// #expect(response.status == .ok)
/// #expect(try response.json()["message"] == "Hello from the API!")
/// ```
public struct TestClient: TestClientProtocol {
    /// The built app.
    public let responder: AppResponder
    /// The peer address requests appear to come from.
    public var remoteAddress: String

    /// A client for an already built responder.
    public init(responder: AppResponder, remoteAddress: String = "127.0.0.1") {
        self.responder = responder
        self.remoteAddress = remoteAddress
    }

    public func execute(_ method: HTTPMethod, _ uri: String, headers: HTTPHeaders, body: ByteBuffer?) async throws
        -> TestResponse
    {
        var headers = headers
        if !headers.contains(name: "host") { headers.add(name: "Host", value: "localhost") }
        let request = Request(
            method: method, uri: uri, headers: headers, body: body ?? ByteBuffer(), remoteAddress: remoteAddress)
        // Under PROPAGATE_EXCEPTIONS (the `testing` environment) a handler's error is thrown here.
        let response =
            responder.propagatesErrors
            ? try await responder.respondPropagatingErrors(to: request) : await responder.respond(to: request)
        // HEAD answers carry no body on the wire; mirror that here.
        guard method != .HEAD else {
            response.stream?.onFinish?(0)
            return TestResponse(status: response.status, headers: response.headers, body: ByteBuffer())
        }
        guard let stream = response.stream else {
            return TestResponse(status: response.status, headers: response.headers, body: response.body)
        }
        // A streamed body is collected whole (tests of timing or back-pressure use `LiveTestClient`).
        let sink = CollectingSink()
        _ = try await stream.run(into: sink)
        let body = sink.collected
        stream.onFinish?(body.readableBytes)
        return TestResponse(status: response.status, headers: response.headers, body: body)
    }
}

extension App {
    /// Builds the app and returns an in-process test client.
    public func testClient() throws -> TestClient {
        TestClient(responder: try build())
    }
}

/// Gathers a streamed body in memory.
final class CollectingSink: ResponseBodySink {
    private let buffer = NIOLockedValueBox(ByteBuffer())

    func write(_ chunk: ByteBuffer) async throws {
        var chunk = chunk
        buffer.withLockedValue { _ = $0.writeBuffer(&chunk) }
    }

    var collected: ByteBuffer { buffer.withLockedValue { $0 } }
}
