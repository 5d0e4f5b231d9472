import Logging
import NIOCore
import NIOHTTP1

/// Turns HTTP/1.1 request parts into `Request`s, runs them through the app on this
/// connection's event loop, and writes the responses back, in order.
///
/// - Bodies are capped while they stream in: past `maxContentLength` the client gets
///   413 and the connection closes without parsing the rest (a lingering close drops what
///   still comes for a moment, so the client sees the 413 rather than a reset).
/// - Malformed requests get a JSON 400 and the connection is closed; so do requests without
///   exactly one valid `Host` (HTTP/1.0: at most one).
/// - Pipelined requests queue here and are answered one at a time, in order. Reading
///   goes on while a response is being made (up to `maxQueued` waiting requests): NIO's
///   `HTTPServerPipelineHandler` would stop and restart reading around every async
///   response instead, two `epoll_ctl` calls per request.
/// - `ChannelShouldQuiesceEvent` (graceful shutdown) closes a busy connection after its
///   current response, and an idle one after `idleGraceOnShutdown` unless a request arrives
///   in that time (it is answered, then the connection closes).
/// - While the channel is not writable (a client that sends requests but never reads the
///   answers) no further answer is made and reading stops, so unread answers cannot pile up.
/// - A request that asks to switch protocols (`Connection: upgrade`, or `CONNECT`) reads nothing
///   after it while it is answered. A WebSocket route that accepts it answers a `webSocket`
///   response, and the connection becomes a WebSocket (`HTTPChannelHandler+WebSocket.swift`);
///   any other answer is plain HTTP and the connection closes after it (the decoder would
///   otherwise buffer whatever follows without bound).
final class HTTPChannelHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// A complete request waiting its turn, or a refusal to send when its turn comes.
    private enum Queued {
        /// `last`: close the connection after answering (an upgrade or CONNECT request).
        case request(HTTPRequestHead, ByteBuffer, last: Bool)
        case refusal(HTTPError, HTTPVersion)
    }

    /// Shared by every body-less request: copying it is a retain, not an allocation.
    private static let emptyBody = ByteBuffer()
    /// Pipelined requests held before reading pauses.
    private static let maxQueued = 16
    /// Pipelined requests held at most: one read can carry thousands (reading pauses only
    /// between reads), so past this many the client gets 429 and the connection closes.
    static let maxPipelined = 64

    let responder: AppResponder
    private let maxContentLength: Int
    let executor: EventLoopTaskExecutor
    let timeouts: ConnectionTimeoutHandler?
    /// The access log (nil when it is off): protocol-level refusals are logged here.
    private let accessLogger: Logger?
    private(set) var context: ChannelHandlerContext?
    private var remoteAddress: String?
    /// `ip:port` this connection reached (IPv6 in brackets).
    private var localAddress: String?
    private var dates = HTTPDateCache()

    /// The request being read, if any.
    private var receiving: (head: HTTPRequestHead, body: ByteBuffer)?
    private var queue = CircularBuffer<Queued>(initialCapacity: 2)
    var responding = false
    /// Input after a refusal is ignored: the connection closes once the refusal is out.
    var discardingInput = false
    private(set) var quiescing = false
    var readSuppressed = false
    /// How long an idle connection still reads when graceful shutdown begins.
    private let idleGraceOnShutdown: TimeAmount
    /// The streamed response being written, if any (`HTTPChannelHandler+Streaming.swift`).
    var streaming: StreamingState?
    /// The streamed request body being read, if any (`HTTPChannelHandler+Uploads.swift`).
    var uploading: UploadState?
    /// Reading paused because the handler has not taken what waits of its streamed body.
    var uploadPaused = false
    /// A streamed body was cut off (too large, too slow, answered early): the connection closes after the answer.
    var uploadAbandoned = false
    /// Whether any route streams its request body (else no head needs a route lookup).
    let streamsBodies: Bool
    /// Bytes a second below which a streamed request body ends with 408 (0: no minimum).
    let minBodyRate: Int
    /// How long a streamed response waits for a client that takes nothing before dropping it.
    let streamSendTimeout: TimeAmount

    init(
        responder: AppResponder, maxContentLength: Int, executor: EventLoopTaskExecutor,
        timeouts: ConnectionTimeoutHandler?, accessLogger: Logger?, idleGraceOnShutdown: TimeAmount,
        streamSendTimeout: TimeAmount = .seconds(30), minBodyRate: Int = 1_024
    ) {
        self.streamSendTimeout = streamSendTimeout
        self.streamsBodies = responder.hasStreamedBodies
        self.minBodyRate = minBodyRate
        self.idleGraceOnShutdown = idleGraceOnShutdown
        self.accessLogger = accessLogger
        self.responder = responder
        self.maxContentLength = maxContentLength
        self.executor = executor
        self.timeouts = timeouts
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        readAddresses(context.channel)
    }

    private func readAddresses(_ channel: any Channel) {
        if case .unixDomainSocket? = channel.localAddress {
            remoteAddress = Request.unixSocketPeer
            return
        }
        remoteAddress = channel.remoteAddress?.ipAddress
        if let local = channel.localAddress, let ip = local.ipAddress, let port = local.port {
            localAddress = (ip.contains(":") ? "[\(ip)]" : ip) + ":\(port)"
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        readAddresses(context.channel)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        abortStream(byServer: false)
        uploadClientGone()
        context.fireChannelInactive()
    }

    // MARK: Reading

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !discardingInput else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            if head.method == .CONNECT {
                // A proxy's method: no route answers it, and what follows would be a tunnel.
                refuse(
                    HTTPError(.methodNotAllowed, "CONNECT is not supported", code: "method_not_allowed"), version: head.version,
                    head: head)
                return
            }
            if let problem = Self.hostProblem(head) {
                refuse(HTTPError(.badRequest, problem, code: "bad_host"), version: head.version, head: head)
                return
            }
            if queue.count >= Self.maxPipelined {
                refuse(
                    HTTPError(.tooManyRequests, "Too many pipelined requests (at most \(Self.maxPipelined) wait)", code: "pipelining_limit"),
                    version: head.version, head: head)
                return
            }
            if streamsBodies, !responding, queue.isEmpty, Self.hasBody(head),
                let limit = responder.streamedBodyLimit(method: head.method, uri: head.uri, host: head.headers.first(name: "host"))
            {
                if let declared = head.headers.first(name: "content-length").flatMap(Int.init), declared > limit {
                    refuse(tooLarge(limit), version: head.version, head: head)
                } else {
                    do {
                        startUpload(context, head, limit: limit, coding: try ContentCoding.of(head.headers))
                    } catch {
                        refuse(error as? HTTPError ?? HTTPError(.badRequest), version: head.version, head: head)
                    }
                }
                return
            }
            if let declared = head.headers.first(name: "content-length").flatMap(Int.init), declared > maxContentLength {
                refuse(tooLarge(), version: head.version, head: head)
                return
            }
            receiving = (head, Self.emptyBody)
            if head.headers.first(name: "expect")?.lowercased() == "100-continue", !responding, queue.isEmpty {
                // curl waits a second for this before sending a body over 1 KiB.
                let interim = HTTPResponseHead(version: head.version, status: .continue)
                context.writeAndFlush(wrapOutboundOut(.head(interim)), promise: nil)
            }
        case .body(var chunk):
            if uploading != nil { return uploadChunk(chunk) }
            guard var current = receiving else { return }
            receiving = nil  // drop the reference so the append does not copy
            if current.body.readableBytes + chunk.readableBytes > maxContentLength {
                refuse(tooLarge(), version: current.head.version, head: current.head)
                return
            }
            current.body.writeBuffer(&chunk)
            receiving = current
        case .end:
            if uploading != nil { return uploadEnded() }
            guard var current = receiving else { return }
            receiving = nil
            if current.body.readableBytes > 0, current.head.headers.contains(name: "content-encoding") {
                do {
                    try Self.decodeContent(&current.head, &current.body, limit: maxContentLength)
                } catch {
                    return refuse(error as? HTTPError ?? HTTPError(.badRequest), version: current.head.version, head: current.head)
                }
            }
            let last = Self.switchesProtocols(current.head)
            if last { discardingInput = true }  // whatever follows is not HTTP to us
            queue.append(.request(current.head, current.body, last: last))
            if !responding { startNext() }
        }
    }

    /// What is wrong with the request's `Host`, if anything: HTTP/1.1 requires exactly one
    /// (RFC 9112 §3.2), HTTP/1.0 allows none; each must be a strict host (`HostHeader`) —
    /// an empty one is allowed, as RFC 9112 allows it for targets without an authority.
    static func hostProblem(_ head: HTTPRequestHead) -> String? {
        // By hand, without copying: this runs for every request.
        var count = 0
        var value: String?
        for (name, field) in head.headers
        where name.utf8.count == 4 && name.utf8.elementsEqual("host".utf8, by: { $0 | 0x20 == $1 }) {
            count += 1
            value = field
        }
        if count > 1 { return "More than one Host header" }
        guard let value else { return head.version == .http1_0 || head.version == .http0_9 ? nil : "Missing Host header" }
        // `Host: a, b` (two hosts in one line) fails here too: neither `,` nor a space is allowed.
        return value.isEmpty || HostHeader.isValid(value) ? nil : "Invalid Host header"
    }

    /// Undoes a collected body's `Content-Encoding` (gzip, deflate), at most `limit` bytes of
    /// output (413), and drops the header: the app sees the body as it was before compression.
    static func decodeContent(_ head: inout HTTPRequestHead, _ body: inout ByteBuffer, limit: Int) throws {
        guard let coding = try ContentCoding.of(head.headers) else { return }
        body = try ContentCoding.decode(body, coding, limit: limit)
        head.headers.remove(name: "Content-Encoding")
        head.headers.replaceOrAdd(name: "Content-Length", value: String(body.readableBytes))
    }

    /// Whether a body follows the head: a `Content-Length` above 0, or any `Transfer-Encoding`.
    static func hasBody(_ head: HTTPRequestHead) -> Bool {
        if head.headers.contains(name: "transfer-encoding") { return true }
        return (head.headers.first(name: "content-length").flatMap(Int.init) ?? 0) > 0
    }

    /// `CONNECT`, or `Connection: upgrade` with an `Upgrade` header.
    static func switchesProtocols(_ head: HTTPRequestHead) -> Bool {
        if head.method == .CONNECT { return true }
        guard head.headers.contains(name: "upgrade") else { return false }
        return head.headers[canonicalForm: "connection"].contains { $0.lowercased() == "upgrade" }
    }

    /// Holds reads back while too many requests wait or the client is not reading its answers;
    /// reads nothing more once the connection is going to close.
    func read(context: ChannelHandlerContext) {
        if discardingInput { return }
        if queue.count >= Self.maxQueued || !context.channel.isWritable || uploadPaused {
            readSuppressed = true
        } else {
            context.read()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { streamBecameWritable() }
        if context.channel.isWritable, !responding, !queue.isEmpty {
            startNext()
        }
        resumeReadingIfPossible(context)
        context.fireChannelWritabilityChanged()
    }

    func resumeReadingIfPossible(_ context: ChannelHandlerContext) {
        guard readSuppressed, !discardingInput, !uploadPaused, queue.count < Self.maxQueued, context.channel.isWritable else { return }
        readSuppressed = false
        context.read()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        quiescing = true
        abortStream(byServer: true)
        guard !responding, receiving == nil, queue.isEmpty else { return }  // closes after this answer
        // An idle keep-alive connection may have a request on its way, sent before the client
        // could know the server is stopping: read a moment longer and answer it (with
        // `Connection: close`), and close only if nothing came.
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let channel = context.channel
        context.eventLoop.scheduleTask(in: idleGraceOnShutdown) {
            let handler = bound.value
            if !handler.responding, handler.receiving == nil, handler.queue.isEmpty { channel.close(promise: nil) }
        }
    }

    /// How long an idle connection still reads when graceful shutdown begins, by default.
    static let defaultIdleGraceOnShutdown = TimeAmount.milliseconds(500)

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is HTTPParserError, !discardingInput else {
            context.close(promise: nil)
            return
        }
        if uploading != nil {
            // The handler is reading this body: it hears of the problem (and answers it). A
            // connection closed mid-body shows up here as an end of file where a body was due.
            if error as? HTTPParserError == .invalidEOFState { return failUpload(RequestBodyInterrupted()) }
            return failUpload(HTTPError(.badRequest, "Malformed HTTP request", code: "malformed_request"))
        }
        refuse(HTTPError(.badRequest, "Malformed HTTP request", code: "malformed_request"), version: .http1_1)
    }

    // MARK: Answering

    /// Answers `error` once earlier requests are answered, then closes; reads nothing more.
    private func refuse(_ error: HTTPError, version: HTTPVersion, head: HTTPRequestHead? = nil) {
        // Refusals never reach the app, so the access log would not see them otherwise.
        accessLogger?.info(
            "\(remoteAddress ?? "-") \"\(head.map { "\($0.method.rawValue) \($0.uri) HTTP/\($0.version.major).\($0.version.minor)" } ?? "-")\" \(error.status.code) refused: \(error.code)")
        discardingInput = true
        receiving = nil
        queue.append(.refusal(error, version))
        if !responding { startNext() }
    }

    func tooLarge(_ limit: Int? = nil) -> HTTPError {
        HTTPError(.payloadTooLarge, "Request body exceeds the limit of \(limit ?? maxContentLength) bytes", code: "payload_too_large")
    }

    private func startNext() {
        // While the client is not taking its answers, make no more: they would only pile up.
        guard let context, context.channel.isWritable, let next = queue.popFirst() else { return }
        resumeReadingIfPossible(context)
        switch next {
        case .refusal(let error, let version):
            var response = Response.error(error)
            response.headers.replaceOrAdd(name: "X-Request-ID", value: RequestID.generate())
            responding = true
            write(response, version: version, method: .GET, keepAlive: false)
        case .request(let head, let body, let last):
            responding = true
            timeouts?.requestReceived()
            dispatch(context, head, body, keepAlive: head.isKeepAlive && !last)
        }
    }

    func dispatch(
        _ context: ChannelHandlerContext, _ head: HTTPRequestHead, _ body: ByteBuffer, keepAlive: Bool,
        streamedBody: RequestBodySource? = nil
    ) {
        var request = Request(
            method: head.method, uri: head.uri, headers: head.headers, body: body, remoteAddress: remoteAddress,
            version: head.version)
        request.localAddress = localAddress
        request.streamedBody = streamedBody
        let responder = self.responder
        let loop = context.eventLoop
        let bound = NIOLoopBound(self, eventLoop: loop)
        Task(executorPreference: executor) {
            let response = await responder.respond(to: request)
            if loop.inEventLoop {
                bound.value.write(response, version: head.version, method: head.method, keepAlive: keepAlive)
            } else {
                loop.execute {
                    bound.value.write(response, version: head.version, method: head.method, keepAlive: keepAlive)
                }
            }
        }
    }

    private func write(_ response: Response, version: HTTPVersion, method: HTTPMethod, keepAlive requested: Bool) {
        guard let context else { return }  // the connection went away while the handler ran
        // Answered before its streamed body was all read: the rest is not read, so the
        // connection cannot carry another request.
        let requested = requested && !answeredBeforeUploadEnded(streamedResponse: response.isStreamed) && !uploadAbandoned
        if let upgrade = response.webSocket {
            return switchToWebSocket(upgrade, response, context)
        }
        if let stream = response.stream {
            return startStream(stream, response, context, version: version, method: method, keepAlive: requested)
        }
        let keepAlive = requested && !quiescing
        let status = response.status
        let bodyAllowed = status.code >= 200 && status != .noContent && status != .notModified
        let head = responseHead(response, version: version, keepAlive: keepAlive, length: bodyAllowed ? response.body.readableBytes : nil)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if bodyAllowed, method != .HEAD, response.body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(response.body))), promise: nil)
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        responseWritten(context, done: done, keepAlive: keepAlive)
    }

    /// The head for `response`: `Content-Length` is `length` (none when nil: a body framed by
    /// chunked encoding or by closing), `Date`, and `Connection` as `keepAlive` says.
    func responseHead(_ response: Response, version: HTTPVersion, keepAlive: Bool, length: Int?) -> HTTPResponseHead {
        var headers = response.headers
        if let length {
            headers.replaceOrAdd(name: "Content-Length", value: String(length))
        } else {
            headers.remove(name: "Content-Length")
        }
        if !headers.contains(name: "Date") { headers.add(name: "Date", value: dates.current()) }
        if !keepAlive {
            headers.replaceOrAdd(name: "Connection", value: "close")
        } else if version == .http1_0 {
            headers.replaceOrAdd(name: "Connection", value: "keep-alive")
        }
        return HTTPResponseHead(version: version.major == 1 ? version : .http1_1, status: response.status, headers: headers)
    }

    /// A response's last part is written (`done` completes when it is out): the next request's
    /// turn on a kept-alive connection, else the close.
    func responseWritten(_ context: ChannelHandlerContext, done: EventLoopFuture<Void>, keepAlive: Bool) {
        responding = false
        timeouts?.responseSent()
        if keepAlive {
            startNext()
        } else {
            // A refusal or an upgrade stopped reading mid-stream: the client may still be sending.
            let unreadInput = discardingInput
            discardingInput = true
            let channel = context.channel
            done.whenComplete { _ in
                if unreadInput { LingeringClose.close(channel) } else { channel.close(promise: nil) }
            }
        }
    }
}
