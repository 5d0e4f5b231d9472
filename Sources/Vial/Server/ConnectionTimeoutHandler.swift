import Logging
import NIOCore

/// Closes connections that sit idle between requests, and answers 408 then closes
/// when a client takes too long to send a request it has started (slow headers or body).
///
/// Sits before the HTTP decoder so it sees raw bytes; the HTTP handler tells it
/// directly (same channel, same event loop) when a request is complete and when its
/// response is out. Per request that is two timestamp writes: deadlines are checked by one
/// repeating task per connection rather than a timer armed and cancelled per request
/// (which showed up as a tenth of the server's CPU in the benchmark).
final class ConnectionTimeoutHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum Phase { case idle, reading, busy }

    private let idleTimeout: TimeAmount
    private let readTimeout: TimeAmount
    /// The access log (nil when it is off): a 408 never reaches the app, so it is logged here.
    private let accessLogger: Logger?
    private var phase = Phase.idle
    private var phaseStarted = NIODeadline.now()
    private var sweep: RepeatedTask?
    private var context: ChannelHandlerContext?

    init(idleTimeout: TimeAmount, readTimeout: TimeAmount, accessLogger: Logger? = nil) {
        self.accessLogger = accessLogger
        self.idleTimeout = idleTimeout
        self.readTimeout = readTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        sweep?.cancel()
        sweep = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        sweep?.cancel()
        sweep = nil
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if phase == .idle {
            phase = .reading
            phaseStarted = .now()
        }
        context.fireChannelRead(data)
    }

    /// The HTTP handler has a whole request: the app's own deadlines apply now.
    func requestReceived() {
        phase = .busy
    }

    /// The response is written: the keep-alive idle clock starts.
    func responseSent() {
        phase = .idle
        phaseStarted = .now()
    }

    private func start(_ context: ChannelHandlerContext) {
        guard sweep == nil else { return }
        phaseStarted = .now()
        // Check four times per shortest timeout: a deadline is overrun by at most a quarter.
        let interval = TimeAmount.nanoseconds(max(min(idleTimeout, readTimeout).nanoseconds / 4, 1_000_000))
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        sweep = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            bound.value.check()
        }
    }

    private func check() {
        guard let context else { return }
        let elapsed = NIODeadline.now() - phaseStarted
        switch phase {
        case .idle where elapsed >= idleTimeout:
            sweep?.cancel()
            context.close(promise: nil)
        case .reading where elapsed >= readTimeout:
            sweep?.cancel()
            // The request never finished: say so (the response encoder is behind us, so raw bytes).
            let body = #"{"error":{"code":"request_timeout","message":"Request not received in time"},"status":"error"}"#
            let text =
                "HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
            let channel = context.channel
            accessLogger?.info("\(channel.remoteAddress?.ipAddress ?? "-") \"-\" 408 refused: request_timeout")
            // The client is mid-request and may still be sending: a lingering close, not a reset.
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: text))).whenComplete { _ in
                LingeringClose.close(channel)
            }
        default:
            break
        }
    }
}
