import NIOCore
import NIOHTTP1

/// A streamed request body being read on one connection; touched only on its event loop.
struct UploadState {
    let source: RequestBodySource
    let limit: Int
    let version: HTTPVersion
    let expectsContinue: Bool
    var received = 0
    var continueSent = false
    /// Bytes received when the minimum-rate window began.
    var windowStart = 0
    var rateCheck: RepeatedTask?
}

/// Thrown into a streamed body's reader when the client went away mid-body.
public struct RequestBodyInterrupted: Error, Sendable, CustomStringConvertible {
    public var description: String { "The client went away before the request body ended" }
}

extension HTTPChannelHandler {
    /// A route that streams its body: the handler runs now, reading chunks as they arrive.
    func startUpload(_ context: ChannelHandlerContext, _ head: HTTPRequestHead, limit: Int, coding: ContentCoding?) {
        let loop = context.eventLoop
        let bound = NIOLoopBound(self, eventLoop: loop)
        // A compressed body is inflated as the handler reads it, bounded by the same limit.
        let source = RequestBodySource(
            coding: coding, limit: limit,
            onFirstDemand: { loop.execute { bound.value.uploadDemanded() } },
            onDrained: { loop.execute { bound.value.uploadDrained() } })
        var upload = UploadState(
            source: source, limit: limit, version: head.version,
            expectsContinue: head.headers.first(name: "expect")?.lowercased() == "100-continue")
        if minBodyRate > 0 {
            let window = TimeAmount.seconds(5)
            upload.rateCheck = loop.scheduleRepeatedTask(initialDelay: window, delay: window) { _ in
                bound.value.checkUploadRate(window: window)
            }
        }
        uploading = upload
        responding = true
        // No whole-request deadline for a streamed body: the minimum rate applies instead.
        timeouts?.requestReceived()
        // The handler reads the body decoded: it must not be told it is compressed, or how long the compressed form was.
        var decoded = head
        if source.coding != nil {
            decoded.headers.remove(name: "Content-Encoding")
            decoded.headers.remove(name: "Content-Length")
        }
        dispatch(context, decoded, ByteBuffer(), keepAlive: head.isKeepAlive, streamedBody: source)
    }

    func uploadChunk(_ chunk: ByteBuffer) {
        guard var upload = uploading else { return }
        upload.received += chunk.readableBytes
        uploading = upload
        guard upload.received <= upload.limit else {
            return failUpload(tooLarge(upload.limit))
        }
        if upload.source.append(chunk) { uploadPaused = true }
    }

    func uploadEnded() {
        guard let upload = uploading else { return }
        upload.rateCheck?.cancel()
        uploading = nil
        upload.source.finish()
        uploadPaused = false
    }

    /// The handler asked for the body: the client waiting on `Expect: 100-continue` may send it.
    func uploadDemanded() {
        guard var upload = uploading, upload.expectsContinue, !upload.continueSent, let context else { return }
        upload.continueSent = true
        uploading = upload
        let interim = HTTPResponseHead(version: upload.version, status: .continue)
        context.writeAndFlush(wrapOutboundOut(.head(interim)), promise: nil)
    }

    /// The handler took what waited: reading from the client goes on.
    func uploadDrained() {
        guard uploadPaused else { return }
        uploadPaused = false
        if let context { resumeReadingIfPossible(context) }
    }

    /// Ends the body with `error` for its reader (which answers it: 413, 408, 400) and reads
    /// nothing more from the client; the connection closes after the answer.
    func failUpload(_ error: any Error) {
        guard let upload = uploading else { return }
        upload.rateCheck?.cancel()
        uploading = nil
        uploadPaused = false
        uploadAbandoned = true
        discardingInput = true
        upload.source.finish(error)
    }

    func uploadClientGone() {
        guard let upload = uploading else { return }
        upload.rateCheck?.cancel()
        uploading = nil
        upload.source.finish(RequestBodyInterrupted())
    }

    /// Every window: a body that the handler waits for but that came slower than `minBodyRate` ends with 408.
    func checkUploadRate(window: TimeAmount) {
        guard var upload = uploading else { return }
        let came = upload.received - upload.windowStart
        upload.windowStart = upload.received
        uploading = upload
        let floor = minBodyRate * Int(window.nanoseconds / 1_000_000_000)
        // Only while the handler is waiting: a handler that reads slowly holds the client back itself.
        guard came < floor, upload.source.isStarved else { return }
        failUpload(
            HTTPError(
                .requestTimeout, "The request body arrived slower than \(minBodyRate) bytes a second",
                code: "request_timeout"))
    }

    /// Called as the answer is written. True when the streamed body has not all been read: the
    /// connection then closes after the answer (the rest of the body would be taken for a request).
    func answeredBeforeUploadEnded(streamedResponse: Bool) -> Bool {
        guard uploading != nil else { return false }
        // A streamed answer may go on reading the body as it writes (an echo): leave it be.
        if !streamedResponse { failUpload(RequestBodyInterrupted()) }
        return true
    }
}
