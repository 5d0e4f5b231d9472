import CompressNIO
import NIOConcurrencyHelpers
import NIOCore

/// A streamed response compressed as it is written: each write is deflated and flushed (a
/// zlib sync flush), so a chunk reaches the client when the producer writes it, not when
/// enough has piled up; the gzip trailer follows the producer's last write.
enum GzipStream {
    static func wrap(_ stream: ResponseStream, level: Int) -> ResponseStream {
        var wrapped = stream
        wrapped.length = nil  // the compressed length is not known before
        let produce = stream.produce
        wrapped.produce = { writer in
            let sink = try GzipSink(inner: writer.sink, level: level)
            try await produce(ResponseBodyWriter(sink: sink))
            try await sink.finish()
        }
        return wrapped
    }
}

/// Deflates what is written into it and passes the result on.
final class GzipSink: ResponseBodySink {
    private let inner: any ResponseBodySink
    private let compressor: LockedCompressor

    init(inner: any ResponseBodySink, level: Int) throws {
        self.inner = inner
        compressor = LockedCompressor(
            try ZlibCompressor(algorithm: .gzip, configuration: ZlibConfiguration(compressionLevel: Int32(level))))
    }

    func write(_ buffer: ByteBuffer) async throws {
        let compressed = try deflate(buffer, flush: .sync)
        if compressed.readableBytes > 0 { try await inner.write(compressed) }
    }

    /// Writes the end of the gzip stream.
    func finish() async throws {
        try await inner.write(try deflate(ByteBuffer(), flush: .finish))
    }

    private func deflate(_ buffer: ByteBuffer, flush: CompressNIOFlush) throws -> ByteBuffer {
        try compressor.lock.withLock {
            var input = buffer
            var output = ByteBufferAllocator().buffer(capacity: compressor.zlib.maxSize(from: input) + 64)
            try compressor.zlib.deflate(from: &input, to: &output, flush: flush)
            return output
        }
    }
}

/// zlib's stream state (a class CompressNIO does not mark Sendable) used only under `lock`.
/// The producer writes one chunk at a time anyway; the lock makes that safe to state.
private final class LockedCompressor: @unchecked Sendable {
    let lock = NIOLock()
    let zlib: ZlibCompressor

    init(_ zlib: ZlibCompressor) { self.zlib = zlib }
}
