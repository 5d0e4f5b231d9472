import NIOCore
import NIOHTTP1

/// Turns HTTP/1.1 request parts into `Request`s, runs them through the app on this
/// connection's event loop, and writes the responses back, in order.
///
/// - Bodies are capped while they stream in: past `maxContentLength` the client gets
///   413 and the connection is closed without reading the rest.
/// - Malformed requests get a JSON 400 and the connection is closed.
/// - Pipelined requests queue here and are answered one at a time, in order. Reading
///   goes on while a response is being made (up to `maxQueued` waiting requests): NIO's
///   `HTTPServerPipelineHandler` would stop and restart reading around every async
///   response instead, two `epoll_ctl` calls per request.
/// - `ChannelShouldQuiesceEvent` (graceful shutdown) closes an idle connection at once
///   and a busy one after its current response.
final class HTTPChannelHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// A complete request waiting its turn, or a refusal to send when its turn comes.
    private enum Queued {
        case request(HTTPRequestHead, ByteBuffer)
        case refusal(HTTPError, HTTPVersion)
    }

    /// Shared by every body-less request: copying it is a retain, not an allocation.
    private static let emptyBody = ByteBuffer()
    /// Pipelined requests held before reading pauses.
    private static let maxQueued = 16

    private let responder: AppResponder
    private let maxContentLength: Int
    private let executor: EventLoopTaskExecutor
    private let timeouts: ConnectionTimeoutHandler?
    private var context: ChannelHandlerContext?
    private var remoteAddress: String?
    private var dates = HTTPDateCache()

    /// The request being read, if any.
    private var receiving: (head: HTTPRequestHead, body: ByteBuffer)?
    private var queue = CircularBuffer<Queued>(initialCapacity: 2)
    private var responding = false
    /// Input after a refusal is ignored: the connection closes once the refusal is out.
    private var discardingInput = false
    private var quiescing = false
    private var readSuppressed = false

    init(
        responder: AppResponder, maxContentLength: Int, executor: EventLoopTaskExecutor,
        timeouts: ConnectionTimeoutHandler?
    ) {
        self.responder = responder
        self.maxContentLength = maxContentLength
        self.executor = executor
        self.timeouts = timeouts
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        remoteAddress = context.channel.remoteAddress?.ipAddress
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        remoteAddress = context.channel.remoteAddress?.ipAddress
        context.fireChannelActive()
    }

    // MARK: Reading

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !discardingInput else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            if let declared = head.headers.first(name: "content-length").flatMap(Int.init), declared > maxContentLength {
                refuse(tooLarge(), version: head.version)
                return
            }
            receiving = (head, Self.emptyBody)
            if head.headers.first(name: "expect")?.lowercased() == "100-continue", !responding, queue.isEmpty {
                // curl waits a second for this before sending a body over 1 KiB.
                let interim = HTTPResponseHead(version: head.version, status: .continue)
                context.writeAndFlush(wrapOutboundOut(.head(interim)), promise: nil)
            }
        case .body(var chunk):
            guard var current = receiving else { return }
            receiving = nil  // drop the reference so the append does not copy
            if current.body.readableBytes + chunk.readableBytes > maxContentLength {
                refuse(tooLarge(), version: current.head.version)
                return
            }
            current.body.writeBuffer(&chunk)
            receiving = current
        case .end:
            guard let current = receiving else { return }
            receiving = nil
            queue.append(.request(current.head, current.body))
            if !responding { startNext() }
        }
    }

    /// Holds reads back while too many requests wait; otherwise reading never stops.
    func read(context: ChannelHandlerContext) {
        if queue.count >= Self.maxQueued {
            readSuppressed = true
        } else {
            context.read()
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        quiescing = true
        if !responding { context.close(promise: nil) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is HTTPParserError, !discardingInput else {
            context.close(promise: nil)
            return
        }
        refuse(HTTPError(.badRequest, "Malformed HTTP request", code: "malformed_request"), version: .http1_1)
    }

    // MARK: Answering

    /// Answers `error` once earlier requests are answered, then closes; reads nothing more.
    private func refuse(_ error: HTTPError, version: HTTPVersion) {
        discardingInput = true
        receiving = nil
        queue.append(.refusal(error, version))
        if !responding { startNext() }
    }

    private func tooLarge() -> HTTPError {
        HTTPError(.payloadTooLarge, "Request body exceeds the limit of \(maxContentLength) bytes", code: "payload_too_large")
    }

    private func startNext() {
        guard let context, let next = queue.popFirst() else { return }
        if readSuppressed, queue.count < Self.maxQueued {
            readSuppressed = false
            context.read()
        }
        switch next {
        case .refusal(let error, let version):
            var response = Response.error(error)
            response.headers.replaceOrAdd(name: "X-Request-ID", value: RequestID.generate())
            responding = true
            write(response, version: version, method: .GET, keepAlive: false)
        case .request(let head, let body):
            responding = true
            timeouts?.requestReceived()
            dispatch(context, head, body)
        }
    }

    private func dispatch(_ context: ChannelHandlerContext, _ head: HTTPRequestHead, _ body: ByteBuffer) {
        let request = Request(
            method: head.method, uri: head.uri, headers: head.headers, body: body, remoteAddress: remoteAddress,
            version: head.version)
        let keepAlive = head.isKeepAlive
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
        let keepAlive = requested && !quiescing
        var headers = response.headers
        let status = response.status
        let bodyAllowed = status.code >= 200 && status != .noContent && status != .notModified
        if bodyAllowed {
            headers.replaceOrAdd(name: "Content-Length", value: String(response.body.readableBytes))
        } else {
            headers.remove(name: "Content-Length")
        }
        if !headers.contains(name: "Date") { headers.add(name: "Date", value: dates.current()) }
        if !keepAlive {
            headers.replaceOrAdd(name: "Connection", value: "close")
        } else if version == .http1_0 {
            headers.replaceOrAdd(name: "Connection", value: "keep-alive")
        }
        let head = HTTPResponseHead(version: version.major == 1 ? version : .http1_1, status: status, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if bodyAllowed, method != .HEAD, response.body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(response.body))), promise: nil)
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        responding = false
        timeouts?.responseSent()
        if keepAlive {
            startNext()
        } else {
            discardingInput = true
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
