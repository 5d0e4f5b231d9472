import Logging
import NIOCore
import NIOWebSocket

/// One open WebSocket on the server: NIOWebSocket's codec decodes and encodes frames; this
/// handler speaks the protocol over them (RFC 6455) and feeds the route's handler.
///
/// - Messages: fragments are joined (at most `maxMessageSize` bytes, else 1009 before more is
///   kept); text must be UTF-8 (else 1007); unmasked client frames, reserved bits, unknown
///   opcodes and continuations out of place are protocol errors (1002). A failed socket gets a
///   close frame and then a lingering close, so the client reads the code before the reset.
/// - Back-pressure both ways: while `bufferedMessages` wait for the handler, nothing more is
///   read from the socket; while the client is not taking data, sends wait, and a client that
///   takes nothing for `sendTimeout` is dropped — nothing is buffered without bound.
/// - Pings: after `pingInterval` without a frame from the client, a ping; no frame within
///   `pingTimeout` of it closes with 1011. Client pings are answered with pongs.
/// - Close: a client's close is answered with its code and the connection closed; a close the
///   server starts (the handler returning, a guard, graceful shutdown's 1001) waits
///   `closeTimeout` for the client's answer.
final class WebSocketChannelHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private enum Phase {
        case open
        /// A close frame is out; waiting for the client's.
        case closing
        case closed
    }

    private let upgrade: WebSocketUpgrade
    private let settings: WebSocketSettings
    private let executor: EventLoopTaskExecutor
    private var context: ChannelHandlerContext?
    private var phase = Phase.open
    private var source: WebSocketInboundSource?
    private var task: Task<Void, Never>?
    /// The message being reassembled from fragments.
    private var fragments: (isText: Bool, data: ByteBuffer)?
    private var readPaused = false
    private var readPending = false
    private var lastHeard = NIODeadline.now()
    private var pingSentAt: NIODeadline?
    private var keepAlive: RepeatedTask?
    private var closeTimer: Scheduled<Void>?
    private var stallTimer: Scheduled<Void>?
    /// Sends waiting for the channel to become writable.
    private var waiters: [EventLoopPromise<Void>] = []
    private var bytesSent = 0

    init(upgrade: WebSocketUpgrade, executor: EventLoopTaskExecutor) {
        self.upgrade = upgrade
        self.settings = upgrade.settings
        self.executor = executor
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        let loop = context.eventLoop
        let bound = NIOLoopBound(self, eventLoop: loop)
        let (socket, source) = WebSocket.make(
            outbound: ChannelWebSocketOutbound(handler: bound, loop: loop), bufferedMessages: settings.bufferedMessages,
            demand: { loop.execute { bound.value.resumeReading() } })
        self.source = source
        let upgrade = self.upgrade
        task = Task(executorPreference: executor) { await upgrade.run(on: socket) }
        if settings.pingInterval > .zero {
            let period = TimeAmount(min(settings.pingInterval, settings.pingTimeout) / 2)
            keepAlive = loop.scheduleRepeatedTask(initialDelay: period, delay: period) { _ in bound.value.checkAlive() }
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stopTimers()
        self.context = nil
    }

    // MARK: Reading

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        lastHeard = .now()
        pingSentAt = nil
        guard phase != .closed else { return }
        if frame.rsv1 || frame.rsv2 || frame.rsv3 { return fail(.protocolError, "Reserved bits set without an extension") }
        guard frame.maskKey != nil else { return fail(.protocolError, "Client frames must be masked") }
        var data = frame.unmaskedData
        switch frame.opcode {
        case .text, .binary:
            guard fragments == nil else { return fail(.protocolError, "A message began before the fragmented one ended") }
            if frame.fin {
                deliver(isText: frame.opcode == .text, data)
            } else {
                fragments = (frame.opcode == .text, data)
            }
        case .continuation:
            guard var pending = fragments else { return fail(.protocolError, "A continuation frame with no message to continue") }
            fragments = nil
            guard pending.data.readableBytes + data.readableBytes <= settings.maxMessageSize else {
                return fail(.messageTooBig, "Message exceeds \(settings.maxMessageSize) bytes")
            }
            pending.data.writeBuffer(&data)
            if frame.fin {
                deliver(isText: pending.isText, pending.data)
            } else {
                fragments = pending
            }
        case .ping:
            // The decoder has checked that control frames are whole and at most 125 bytes.
            if phase == .open { context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: data)), promise: nil) }
        case .pong:
            break
        case .connectionClose:
            receivedClose(data)
        default:
            fail(.protocolError, "Unknown opcode")
        }
    }

    private func deliver(isText: Bool, _ data: ByteBuffer) {
        // After the server's close frame, data frames still arriving are dropped (RFC 6455 §5.5.1).
        guard phase == .open, let source else { return }
        let message: WebSocketMessage
        if isText {
            guard let text = String(validating: data.readableBytesView, as: UTF8.self) else {
                return fail(.invalidPayload, "Text message is not valid UTF-8")
            }
            message = .text(text)
        } else {
            message = .binary(data)
        }
        if !source.deliver(message) { readPaused = true }
    }

    private func receivedClose(_ payload: ByteBuffer) {
        var payload = payload
        var code = WebSocketCloseCode.noStatus
        if payload.readableBytes == 1 { return fail(.protocolError, "A close frame's code is two bytes") }
        if let raw = payload.readInteger(as: UInt16.self) {
            code = WebSocketCloseCode(rawValue: raw)
            guard code.isValidOnTheWire else { return fail(.protocolError, "Invalid close code \(raw)") }
            guard String(validating: payload.readableBytesView, as: UTF8.self) != nil else {
                return fail(.invalidPayload, "Close reason is not valid UTF-8")
            }
        }
        guard let context else { return }
        switch phase {
        case .open:
            // The client began: answer with its code, then the server closes the connection.
            phase = .closed
            finishInbound(code)
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(closeFrame(code == .noStatus ? nil : code, reason: ""))).whenComplete { _ in
                channel.close(promise: nil)
            }
        case .closing:
            phase = .closed
            context.close(promise: nil)
        case .closed:
            break
        }
    }

    /// Resumes reading once the handler wants more messages.
    func resumeReading() {
        readPaused = false
        guard readPending, let context, context.channel.isWritable else { return }
        readPending = false
        context.read()
    }

    /// Reads nothing while the handler has enough messages waiting, nor while the client is not
    /// taking what is sent: each ping read is a pong written, and a client that floods pings
    /// without reading the pongs would otherwise fill the outbound buffer without bound.
    func read(context: ChannelHandlerContext) {
        if readPaused || !context.channel.isWritable {
            readPending = true
        } else {
            context.read()
        }
    }

    // MARK: Sending

    /// Writes `message`; answers a future to wait on when the client is not taking data.
    func send(_ message: WebSocketMessage) throws -> EventLoopFuture<Void>? {
        guard phase == .open, let context, context.channel.isActive else { throw WebSocketClosed() }
        let frame: WebSocketFrame
        switch message {
        case .text(let text): frame = WebSocketFrame(fin: true, opcode: .text, data: context.channel.allocator.buffer(string: text))
        case .binary(let bytes): frame = WebSocketFrame(fin: true, opcode: .binary, data: bytes)
        }
        bytesSent += frame.data.readableBytes
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
        guard !context.channel.isWritable, phase == .open else { return nil }
        let waiter = context.eventLoop.makePromise(of: Void.self)
        waiters.append(waiter)
        if stallTimer == nil {
            let channel = context.channel
            // The client has taken nothing for the whole timeout: drop it.
            stallTimer = context.eventLoop.scheduleTask(in: TimeAmount(settings.sendTimeout)) { channel.close(promise: nil) }
        }
        return waiter.futureResult
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            releaseWaiters(nil)
            if readPending, !readPaused {
                readPending = false
                context.read()
            }
        }
        context.fireChannelWritabilityChanged()
    }

    private func releaseWaiters(_ error: (any Error)?) {
        stallTimer?.cancel()
        stallTimer = nil
        let released = waiters
        waiters = []
        for waiter in released {
            if let error { waiter.fail(error) } else { waiter.succeed() }
        }
    }

    // MARK: Closing

    /// Starts the close handshake (the handler, a guard, shutdown): the close frame goes out,
    /// `messages` ends, sends fail, and the connection closes when the client answers or after
    /// `closeTimeout`.
    func startClose(_ code: WebSocketCloseCode, reason: String) {
        guard phase == .open, let context else { return }
        phase = .closing
        finishInbound(code)
        releaseWaiters(WebSocketClosed())
        context.writeAndFlush(wrapOutboundOut(closeFrame(code, reason: reason)), promise: nil)
        let channel = context.channel
        closeTimer = context.eventLoop.scheduleTask(in: TimeAmount(settings.closeTimeout)) { channel.close(promise: nil) }
    }

    /// Fails the connection (RFC 6455 §7.1.7): a close frame with `code`, then a lingering close.
    private func fail(_ code: WebSocketCloseCode, _ reason: String) {
        guard phase != .closed, let context else { return }
        let wasOpen = phase == .open
        phase = .closed
        fragments = nil
        finishInbound(code)
        releaseWaiters(WebSocketClosed())
        upgrade.logger?.debug("WebSocket failed: \(code) \(reason)", metadata: ["request_id": .string(upgrade.request.id)])
        let channel = context.channel
        guard wasOpen else { return context.close(promise: nil) }
        context.writeAndFlush(wrapOutboundOut(closeFrame(code, reason: reason))).whenComplete { _ in
            LingeringClose.close(channel)
        }
    }

    private func closeFrame(_ code: WebSocketCloseCode?, reason: String) -> WebSocketFrame {
        var data = context?.channel.allocator.buffer(capacity: 2 + reason.utf8.count) ?? ByteBuffer()
        if let code {
            data.writeInteger(code.rawValue)
            // A control frame carries at most 125 bytes: the reason is cut at a character boundary.
            var cut = Substring(reason)
            while cut.utf8.count > 123 { cut = cut.dropLast() }
            data.writeString(String(cut))
        }
        return WebSocketFrame(fin: true, opcode: .connectionClose, data: data)
    }

    private func finishInbound(_ code: WebSocketCloseCode) {
        source?.finish(code)
        source = nil
    }

    /// Pings a quiet client; closes with 1011 when a ping went unanswered for `pingTimeout`.
    private func checkAlive() {
        guard phase == .open, let context else { return }
        let now = NIODeadline.now()
        if let sent = pingSentAt {
            if now - sent >= TimeAmount(settings.pingTimeout) { fail(.internalError, "Ping timeout") }
        } else if now - lastHeard >= TimeAmount(settings.pingInterval) {
            pingSentAt = now
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .ping, data: ByteBuffer(string: "vial"))), promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            startClose(.goingAway, reason: "Server shutting down")
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch error as? NIOWebSocketError {
        case .invalidFrameLength?: fail(.messageTooBig, "Frame exceeds \(settings.maxMessageSize) bytes")
        case .some: fail(.protocolError, "Control frames must be whole and at most 125 bytes")
        case nil: context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        phase = .closed
        finishInbound(.abnormal)
        releaseWaiters(WebSocketClosed())
        stopTimers()
        task?.cancel()
        upgrade.onFinish?(bytesSent)  // once: a channel goes inactive once
        context.fireChannelInactive()
    }

    private func stopTimers() {
        keepAlive?.cancel()
        keepAlive = nil
        closeTimer?.cancel()
        closeTimer = nil
        stallTimer?.cancel()
        stallTimer = nil
    }
}

/// The connection as a `WebSocketOutbound`: calls hop to the connection's event loop.
struct ChannelWebSocketOutbound: WebSocketOutbound {
    let handler: NIOLoopBound<WebSocketChannelHandler>
    let loop: any EventLoop

    func send(_ message: WebSocketMessage) async throws {
        let waiter: EventLoopFuture<Void>?
        if loop.inEventLoop {
            waiter = try handler.value.send(message)
        } else {
            let handler = self.handler
            waiter = try await loop.submit { try handler.value.send(message) }.get()
        }
        if let waiter { try await waiter.get() }
    }

    func close(_ code: WebSocketCloseCode, reason: String) async {
        if loop.inEventLoop {
            handler.value.startClose(code, reason: reason)
        } else {
            let handler = self.handler
            loop.execute { handler.value.startClose(code, reason: reason) }
        }
    }
}
