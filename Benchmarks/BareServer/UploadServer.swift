// The upload baseline: SwiftNIO's HTTP/1.1 pipeline behind NIOAsyncChannel (as Hummingbird runs
// it) and NIOFileSystem, each request body written to a new file in a folder as its parts
// arrive (gathered into writes of 256 KiB, as Vial's are: a thread-pool hop per socket read
// would make the baseline slow, not strict), then a small JSON answer with the size. No
// routing, no limits, no request object.
import NIOCore
import NIOFileSystem
import NIOHTTP1
import NIOPosix

enum UploadServer {
    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    static func run(group: MultiThreadedEventLoopGroup, port: Int, directory: String) async throws {
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try Connection(wrappingChannelSynchronously: channel)
                }
            }
        print(" * Bare NIO upload server on http://127.0.0.1:\(server.channel.localAddress?.port ?? port), writing to \(directory)")
        fflush(nil)
        try await withThrowingDiscardingTaskGroup { group in
            try await server.executeThenClose { connections in
                for try await connection in connections {
                    group.addTask { try? await serve(connection, directory: directory) }
                }
            }
        }
    }

    static func serve(_ connection: Connection, directory: String) async throws {
        try await connection.executeThenClose { inbound, outbound in
            var file: WriteFileHandle?
            var written: Int64 = 0
            var pending = ByteBuffer()
            var counter = 0
            for try await part in inbound {
                switch part {
                case .head:
                    counter += 1
                    written = 0
                    let path = "\(directory)/upload-\(UInt64.random(in: 0 ... .max))-\(counter)"
                    file = try await FileSystem.shared.openFile(forWritingAt: FilePath(path), options: .newFile(replaceExisting: false))
                case .body(var chunk):
                    pending.writeBuffer(&chunk)
                    if pending.readableBytes >= 256 * 1024 {
                        written += try await file!.write(contentsOf: pending, toAbsoluteOffset: written)
                        pending.clear()
                    }
                case .end:
                    if pending.readableBytes > 0 {
                        written += try await file!.write(contentsOf: pending, toAbsoluteOffset: written)
                        pending.clear()
                    }
                    try await file?.close()
                    file = nil
                    let body = ByteBuffer(string: #"{"bytes":\#(written)}"# + "\n")
                    let head = HTTPResponseHead(
                        version: .http1_1, status: .ok,
                        headers: ["Content-Type": "application/json", "Content-Length": "\(body.readableBytes)"])
                    try await outbound.write(contentsOf: [.head(head), .body(.byteBuffer(body)), .end(nil)])
                }
            }
        }
    }
}
