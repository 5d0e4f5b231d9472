// The baseline: SwiftNIO's HTTP/1.1 pipeline and one handler that writes the same
// bytes `Examples hello` sends for GET /api/hello, prepared once. No routing, no JSON
// encoding, no request object: the floor a framework on NIO can approach.
import Dispatch
import NIOCore
import NIOHTTP1
import NIOPosix

let body = #"{"message":"Hello from the API!","status":"success","version":"1.0"}"# + "\n"
// Same header set and sizes as Vial's answer (its X-Request-ID is 32 hex digits; its Date
// changes each second, this one is fixed: the baseline does strictly less work).
let headers: HTTPHeaders = [
    "Content-Type": "application/json",
    "X-Request-ID": "0123456789abcdef0123456789abcdef",
    "Content-Length": "\(body.utf8.count)",
    "Date": "Wed, 25 Nov 2026 15:24:29 GMT",
]

final class BareHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    private let bodyBuffer = ByteBuffer(string: body)
    private var keepAlive = true

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): keepAlive = head.isKeepAlive
        case .body: break
        case .end:
            var responseHeaders = headers
            if !keepAlive { responseHeaders.add(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: responseHeaders))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(bodyBuffer))), promise: nil)
            let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
            if !keepAlive {
                let channel = context.channel
                done.whenComplete { _ in channel.close(promise: nil) }
            }
        }
    }
}

var port = 8081
if let index = CommandLine.arguments.firstIndex(of: "--port"), index + 1 < CommandLine.arguments.count,
    let value = Int(CommandLine.arguments[index + 1])
{
    port = value
}
let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
// `--upload DIR`: the upload baseline instead (UploadServer.swift).
if let index = CommandLine.arguments.firstIndex(of: "--upload"), index + 1 < CommandLine.arguments.count {
    let directory = CommandLine.arguments[index + 1]
    Task {
        do {
            try await UploadServer.run(group: group, port: port, directory: directory)
        } catch {
            print("upload server failed: \(error)")
        }
        exit(1)
    }
    dispatchMain()
}
let channel = try ServerBootstrap(group: group)
    .serverChannelOption(.backlog, value: 256)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
    .childChannelOption(.maxMessagesPerRead, value: 16)
    .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.configureHTTPServerPipeline(withPipeliningAssistance: true)
            try channel.pipeline.syncOperations.addHandler(BareHandler())
        }
    }
    .bind(host: "127.0.0.1", port: port).wait()
print(" * Bare NIO server on http://127.0.0.1:\(channel.localAddress?.port ?? port)")
fflush(nil)  // run.sh reads the port from a file
try channel.closeFuture.wait()
