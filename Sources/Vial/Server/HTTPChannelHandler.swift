import Logging
import NIOCore
import NIOHTTP1

/// Turns HTTP/1.1 request parts into `Request`s, runs them through the app on this
/// connection's event loop, and writes the responses back.
///
/// Bodies are capped while they stream in: past `maxContentLength` the client gets
/// 413 and the connection is closed without reading the rest. Malformed requests get
/// a JSON 400 and the connection is closed. Pipelined requests are answered in order
/// (NIO's `HTTPServerPipelineHandler` holds later ones until a response is complete).
final class HTTPChannelHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        case idle
        case receiving(HTTPRequestHead, ByteBuffer)
        case responding
        case rejected
    }

    private let responder: AppResponder
    private let maxContentLength: Int
    private let executor: EventLoopTaskExecutor
    private let timeouts: ConnectionTimeoutHandler?
    private var state = State.idle
    private var remoteAddress: String?
    private var context: ChannelHandlerContext?
    private var dates = HTTPDateCache()

    init(
        responder: AppResponder, maxContentLength: Int, executor: EventLoopTaskExecutor,
        timeouts: ConnectionTimeoutHandler?
    ) {
        self.responder = responder
        self.maxContentLength = maxContentLength
        self.executor = executor
        self.timeouts = timeouts
    }

    func channelActive(context: ChannelHandlerContext) {
        remoteAddress = context.channel.remoteAddress?.ipAddress
        context.fireChannelActive()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        remoteAddress = context.channel.remoteAddress?.ipAddress
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            guard case .idle = state else { return }
            if let declared = head.headers.first(name: "content-length").flatMap(Int.init), declared > maxContentLength {
                reject(context, head.version)
                return
            }
            state = .receiving(head, context.channel.allocator.buffer(capacity: 0))
        case .body(var chunk):
            guard case .receiving(let head, var body) = state else { return }
            if body.readableBytes + chunk.readableBytes > maxContentLength {
                reject(context, head.version)
                return
            }
            state = .responding  // release the buffer reference before appending
            body.writeBuffer(&chunk)
            state = .receiving(head, body)
        case .end:
            guard case .receiving(let head, let body) = state else { return }
            state = .responding
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
                bound.value.write(response, for: head, keepAlive: keepAlive)
            } else {
                loop.execute { bound.value.write(response, for: head, keepAlive: keepAlive) }
            }
        }
    }

    private func write(_ response: Response, for request: HTTPRequestHead, keepAlive: Bool) {
        guard let context else { return }  // the connection went away while the handler ran
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
        } else if request.version == .http1_0 {
            headers.replaceOrAdd(name: "Connection", value: "keep-alive")
        }
        let head = HTTPResponseHead(version: request.version.major == 1 ? request.version : .http1_1, status: status, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if bodyAllowed, request.method != .HEAD, response.body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(response.body))), promise: nil)
        }
        state = .idle
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        timeouts?.responseSent()
        if !keepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    /// 413 for a body over the limit: answer at once and close, without reading the rest.
    private func reject(_ context: ChannelHandlerContext, _ version: HTTPVersion) {
        state = .rejected
        let error = HTTPError(
            .payloadTooLarge, "Request body exceeds the limit of \(maxContentLength) bytes", code: "payload_too_large")
        writeErrorAndClose(context, Response.error(error), version: version)
    }

    private func writeErrorAndClose(_ context: ChannelHandlerContext, _ response: Response, version: HTTPVersion) {
        var headers = response.headers
        headers.replaceOrAdd(name: "Content-Length", value: String(response.body.readableBytes))
        headers.replaceOrAdd(name: "Connection", value: "close")
        headers.replaceOrAdd(name: "X-Request-ID", value: RequestID.generate())
        headers.add(name: "Date", value: dates.current())
        let head = HTTPResponseHead(version: version, status: response.status, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(response.body))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch state {
        case .idle, .receiving:
            if error is HTTPParserError {
                state = .rejected
                let response = Response.error(HTTPError(.badRequest, "Malformed HTTP request", code: "malformed_request"))
                writeErrorAndClose(context, response, version: .http1_1)
                return
            }
        case .responding, .rejected:
            break
        }
        context.close(promise: nil)
    }
}
