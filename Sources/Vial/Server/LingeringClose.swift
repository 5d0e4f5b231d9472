import NIOCore

/// Closes a connection whose client may still be sending — a refused body (413), bytes after
/// an upgrade request, a request cut off by the read timeout (408) — the way nginx's `lingering_close` does: the answer is out, the write
/// side is shut (the client reads the answer, then the end of the stream), and whatever still
/// arrives is read and dropped until the client closes or `limit` passes.
///
/// Closing with unread bytes makes the kernel reset the connection, and a client still sending
/// its body then sees "connection reset" instead of the 413 it was sent (the reliability suite's
/// 600 KB title, on a fresh machine). The drain sits in front of the HTTP decoder, so nothing
/// that arrives is parsed or kept.
enum LingeringClose {
    /// How long a refused client may go on sending before the connection is closed anyway.
    static let limit = TimeAmount.seconds(2)

    /// Shuts the write side of `channel` and drains it for at most `limit`; on the event loop.
    static func close(_ channel: any Channel) {
        channel.close(mode: .output).whenComplete { result in
            guard case .success = result, channel.isActive,
                (try? channel.pipeline.syncOperations.addHandler(Drain(), position: .first)) != nil
            else {
                channel.close(promise: nil)
                return
            }
            channel.eventLoop.scheduleTask(in: limit) { channel.close(promise: nil) }
        }
    }

    /// Reads on its own (the HTTP handler reads nothing more once it is closing) and drops what
    /// comes. The client's end of stream closes the channel (remote half-closure is not allowed).
    final class Drain: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer

        func handlerAdded(context: ChannelHandlerContext) { context.read() }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
        func channelReadComplete(context: ChannelHandlerContext) { context.read() }
    }
}
