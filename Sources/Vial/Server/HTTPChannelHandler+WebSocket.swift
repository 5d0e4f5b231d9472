import NIOCore
#if canImport(Glibc)
import Glibc
#endif
import NIOHTTP1
import NIOWebSocket

extension HTTPChannelHandler {
    /// The route let the handshake through: NIOWebSocket's upgrader builds the 101 (it checks
    /// the key and version again and computes `Sec-WebSocket-Accept`), then the HTTP handlers
    /// leave the pipeline and the WebSocket codec and `WebSocketChannelHandler` take over.
    func switchToWebSocket(_ upgrade: WebSocketUpgrade, _ response: Response, _ context: ChannelHandlerContext) {
        let request = upgrade.request
        let head = HTTPRequestHead(version: request.version, method: .GET, uri: request.uri, headers: request.headers)
        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: upgrade.settings.maxMessageSize, automaticErrorHandling: false,
            shouldUpgrade: { channel, _ in channel.eventLoop.makeSucceededFuture(HTTPHeaders()) },
            upgradePipelineHandler: { channel, _ in channel.eventLoop.makeSucceededVoidFuture() })
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        upgrader.buildUpgradeResponse(channel: context.channel, upgradeRequest: head, initialResponseHeaders: response.headers)
            .hop(to: context.eventLoop)
            .whenComplete { result in
                let handler = bound.value
                guard let context = handler.context else { return }
                switch result {
                case .success(let headers):
                    handler.completeUpgrade(upgrade, headers: headers, context)
                case .failure:
                    // The route checked the handshake already; this is a safety net.
                    context.close(promise: nil)
                }
            }
    }

    private func completeUpgrade(_ upgrade: WebSocketUpgrade, headers: HTTPHeaders, _ context: ChannelHandlerContext) {
        var headers = headers
        headers.remove(name: "Content-Length")
        headers.add(name: "Date", value: HTTPDateCache.format(Int(time(nil))))
        context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .switchingProtocols, headers: headers))), promise: nil)
        let pipeline = context.pipeline.syncOperations
        let channel = context.channel
        do {
            try pipeline.addHandlers(
                [
                    WebSocketFrameEncoder(),
                    ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: upgrade.settings.maxMessageSize)),
                    WebSocketChannelHandler(upgrade: upgrade, executor: executor),
                ], position: .last)
            // The HTTP handlers leave; bytes the client sent early are dropped with the decoder
            // (a client waits for the 101 before sending frames, RFC 6455 §4.1).
            if let timeouts { pipeline.removeHandler(timeouts, promise: nil) }
            if let validator = try? pipeline.handler(type: NIOHTTPResponseHeadersValidator.self) {
                pipeline.removeHandler(validator, promise: nil)
            }
            pipeline.removeHandler(try pipeline.handler(type: HTTPResponseEncoder.self), promise: nil)
            pipeline.removeHandler(context: context, promise: nil)
            pipeline.removeHandler(try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self), promise: nil)
            // Shutdown began while the handshake was being answered: the socket closes with 1001 at once.
            if quiescing { channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent()) }
            // Reading stopped at the handshake (this handler held it back); frames may come now.
            channel.read()
        } catch {
            context.close(promise: nil)
        }
    }
}
