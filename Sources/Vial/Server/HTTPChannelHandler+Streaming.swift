import NIOCore
import NIOHTTP1

/// A streamed response in progress on one connection; touched only on its event loop.
struct StreamingState {
    var stream: ResponseStream
    var keepAlive: Bool
    var task: Task<Void, Never>?
    var bytesSent = 0
    /// The producer waiting for the channel to become writable again.
    var waiter: EventLoopPromise<Void>?
    /// Drops a client that has taken nothing for `streamSendTimeout` while the producer waits.
    var stallTimer: Scheduled<Void>?
    var flushScheduled = false
    /// Set when the server ends the stream (shutdown): the producer's cancellation error is then
    /// a clean end, not a failure.
    var endedByServer = false
}

extension HTTPChannelHandler {
    /// Sends the head of a streamed response, then runs its producer in a task of its own (so a
    /// client that goes away can cancel it), writing through `ChannelBodySink`.
    func startStream(
        _ stream: ResponseStream, _ response: Response, _ context: ChannelHandlerContext, version: HTTPVersion,
        method: HTTPMethod, keepAlive requested: Bool
    ) {
        let status = response.status
        let bodyAllowed = status.code >= 200 && status != .noContent && status != .notModified
        // Without a length, HTTP/1.0 frames the body by closing the connection.
        let keepAlive = requested && !quiescing && (stream.length != nil || version != .http1_0)
        let head = responseHead(response, version: version, keepAlive: keepAlive, length: bodyAllowed ? stream.length : 0)
        guard bodyAllowed, method != .HEAD else {
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
            stream.onFinish?(0)
            return responseWritten(context, done: done, keepAlive: keepAlive)
        }
        context.writeAndFlush(wrapOutboundOut(.head(head)), promise: nil)
        streaming = StreamingState(stream: stream, keepAlive: keepAlive)
        let sink = ChannelBodySink(handler: NIOLoopBound(self, eventLoop: context.eventLoop), loop: context.eventLoop)
        let task = Task(executorPreference: executor) {
            let outcome: Result<StreamEnd, any Error>
            do {
                outcome = .success(try await stream.run(into: sink))
            } catch {
                outcome = .failure(error)
            }
            sink.finish(outcome)
        }
        streaming?.task = task
    }

    /// Writes one chunk of the streamed body. Answers a future to wait on when the channel is
    /// no longer writable (back-pressure), nil when the producer may go on at once.
    func streamWrite(_ buffer: ByteBuffer) throws -> EventLoopFuture<Void>? {
        guard let context, context.channel.isActive, var state = streaming, !state.endedByServer else {
            throw ResponseStreamClosed()
        }
        if let length = state.stream.length, state.bytesSent + buffer.readableBytes > length {
            throw StreamLengthExceeded(length: length)
        }
        state.bytesSent += buffer.readableBytes
        context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        guard context.channel.isWritable else {
            state.flushScheduled = false
            streaming = state
            // The flush may close the channel or make it writable again, both through callbacks.
            context.flush()
            guard context.channel.isActive, streaming != nil else { throw ResponseStreamClosed() }
            guard !context.channel.isWritable else { return nil }
            let waiter = context.eventLoop.makePromise(of: Void.self)
            let channel = context.channel
            streaming?.waiter = waiter
            streaming?.stallTimer = context.eventLoop.scheduleTask(in: streamSendTimeout) {
                // The client has taken nothing for the whole timeout: drop it (channelInactive
                // then fails the waiter and cancels the producer).
                channel.close(promise: nil)
            }
            return waiter.futureResult
        }
        if !state.flushScheduled {
            // Quick writes share one flush: it runs once the producer next suspends.
            state.flushScheduled = true
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
            context.eventLoop.execute { bound.value.flushStream() }
        }
        streaming = state
        return nil
    }

    private func flushStream() {
        guard streaming?.flushScheduled == true, let context else { return }
        streaming?.flushScheduled = false
        context.flush()
    }

    func streamBecameWritable() {
        guard let waiter = streaming?.waiter else { return }
        streaming?.waiter = nil
        streaming?.stallTimer?.cancel()
        streaming?.stallTimer = nil
        waiter.succeed()
    }

    /// Stops the producer: its pending and later writes fail and its task is cancelled. `byServer`
    /// (graceful shutdown) makes the end a clean one when the framing allows; otherwise the
    /// connection closed under the stream.
    func abortStream(byServer: Bool) {
        guard var state = streaming else { return }
        state.endedByServer = state.endedByServer || byServer
        state.stallTimer?.cancel()
        state.stallTimer = nil
        let waiter = state.waiter
        state.waiter = nil
        streaming = state
        waiter?.fail(ResponseStreamClosed())
        state.task?.cancel()
    }

    /// The producer is done: end the body and go on with the connection, or close it when the
    /// body cannot be ended well (an error mid-stream, or fewer bytes than the length promised).
    func streamFinished(_ outcome: Result<StreamEnd, any Error>) {
        guard let state = streaming else { return }
        streaming = nil
        state.stallTimer?.cancel()
        state.stream.onFinish?(state.bytesSent)
        guard let context, context.channel.isActive else { return }
        let complete: Bool
        switch outcome {
        case .success: complete = state.stream.length.map { $0 == state.bytesSent } ?? true
        case .failure: complete = state.endedByServer && state.stream.length == nil
        }
        guard complete else {
            // A cut body must look cut: no chunked terminator, no reuse of the connection.
            discardingInput = true
            context.flush()
            context.close(promise: nil)
            return
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        responseWritten(context, done: done, keepAlive: state.keepAlive && !quiescing)
    }
}

/// Thrown by a write past a stream's declared length.
struct StreamLengthExceeded: Error, CustomStringConvertible {
    var length: Int
    var description: String { "The stream wrote more than its declared length of \(length) bytes" }
}

/// The connection as a `ResponseBodySink`: writes hop to the connection's event loop when the
/// producer is not already on it (it is, unless it awaited something that moved it).
struct ChannelBodySink: ResponseBodySink {
    let handler: NIOLoopBound<HTTPChannelHandler>
    let loop: any EventLoop

    func write(_ buffer: ByteBuffer) async throws {
        let waiter: EventLoopFuture<Void>?
        if loop.inEventLoop {
            waiter = try handler.value.streamWrite(buffer)
        } else {
            let handler = self.handler
            waiter = try await loop.submit { try handler.value.streamWrite(buffer) }.get()
        }
        if let waiter { try await waiter.get() }
    }

    func finish(_ outcome: Result<StreamEnd, any Error>) {
        if loop.inEventLoop {
            handler.value.streamFinished(outcome)
        } else {
            let handler = self.handler
            loop.execute { handler.value.streamFinished(outcome) }
        }
    }
}
