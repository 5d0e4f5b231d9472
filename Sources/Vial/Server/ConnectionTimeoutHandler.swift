import NIOCore

/// Sent outbound by the HTTP handler when a request has been read whole.
struct RequestReadEvent: Sendable {}
/// Sent outbound by the HTTP handler when a response has been written whole.
struct ResponseSentEvent: Sendable {}

/// Closes connections that sit idle between requests, and answers 408 then closes
/// when a client takes too long to send a request it has started (slow headers or body).
///
/// Sits before the HTTP decoder so it sees raw bytes; the HTTP handler tells it,
/// through outbound user events, when a request is complete and when its response is out.
final class ConnectionTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    private enum Phase { case idle, reading, busy }

    private let idleTimeout: TimeAmount
    private let readTimeout: TimeAmount
    private var phase = Phase.idle
    private var timer: Scheduled<Void>?

    init(idleTimeout: TimeAmount, readTimeout: TimeAmount) {
        self.idleTimeout = idleTimeout
        self.readTimeout = readTimeout
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(context, after: idleTimeout)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if phase == .idle {
            phase = .reading
            arm(context, after: readTimeout)
        }
        context.fireChannelRead(data)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        switch event {
        case is RequestReadEvent:
            phase = .busy
            timer?.cancel()
            timer = nil
            promise?.succeed()
        case is ResponseSentEvent:
            phase = .idle
            arm(context, after: idleTimeout)
            promise?.succeed()
        default:
            context.triggerUserOutboundEvent(event, promise: promise)
        }
    }

    private func arm(_ context: ChannelHandlerContext, after delay: TimeAmount) {
        timer?.cancel()
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: delay) {
            let (handler, context) = bound.value
            handler.fire(context)
        }
    }

    private func fire(_ context: ChannelHandlerContext) {
        timer = nil
        switch phase {
        case .idle:
            context.close(promise: nil)
        case .reading:
            // The request never finished: say so (the response encoder is behind us, so raw bytes).
            let body = #"{"error":{"code":"request_timeout","message":"Request not received in time"},"status":"error"}"#
            let text =
                "HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
            let buffer = context.channel.allocator.buffer(string: text)
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.byteBuffer(buffer))).whenComplete { _ in channel.close(promise: nil) }
        case .busy:
            break  // the app is working on it; its own deadlines apply
        }
    }
}
