import MultipartKit
import NIOCore

/// Feeds a request body to MultipartKit's streaming parser and hands out what it finds, one
/// event at a time, holding at most one slice of the body (64 KiB) at once. It bounds what the
/// parser would otherwise let grow (part count, header size) and tells a body that ends
/// mid-part (400) from one that ends well. One task uses it; it is not thread-safe.
final class MultipartDecoder {
    enum Event {
        case header(name: String, value: String)
        case body(ByteBuffer)
        case partEnd
    }

    /// The parser sees the body in slices this size, so that a limit is noticed within one slice.
    static let sliceSize = 64 * 1024

    let limits: MultipartLimits
    private var source: RequestBody.AsyncIterator
    private let parser: MultipartParser
    /// Keeps from the parser the header names it would crash on (see `HeaderNameGuard`).
    private var headerGuard: HeaderNameGuard
    /// `--boundary--`: the whole of a form with no parts, which the parser does not accept.
    private let emptyForm: [UInt8]
    private var events = CircularBuffer<Event>()
    /// Body bytes of the current part not yet queued.
    private var pendingBody: ByteBuffer?
    private var ended = false
    /// Set by the parser's callbacks, checked once each slice is parsed (callbacks cannot throw).
    private var failure: HTTPError?
    /// A part has begun (a header or a body byte) and not ended.
    private var partOpen = false
    /// A body byte or a part's end came during the current slice.
    private var progressed = false
    /// Bytes parsed with neither, since the last: headers or a preamble that go on and on.
    private var bytesWithoutProgress = 0
    private(set) var partsSeen = 0
    /// Parts handed to the reader so far.
    var partsStarted = 0
    /// Bytes of text fields so far (`MultipartLimits.maxFieldsSize`).
    var fieldsSize = 0
    /// The first bytes of the body, to recognise an empty form.
    private var head: [UInt8] = []

    init(body: RequestBody, boundary: String, limits: MultipartLimits) {
        self.limits = limits
        source = body.makeAsyncIterator()
        parser = MultipartParser(boundary: boundary)
        headerGuard = HeaderNameGuard(boundary: boundary)
        emptyForm = Array("--\(boundary)--".utf8)
        parser.onHeader = { [unowned self] name, value in
            partOpen = true
            flushBody()
            events.append(.header(name: name, value: value))
        }
        parser.onBody = { [unowned self] chunk in
            partOpen = true
            progressed = true
            // The parser cuts the body at every CR: put the pieces back together (in a buffer
            // of its own, appended to in place, not through the queue, which would copy it).
            if pendingBody == nil { pendingBody = ByteBufferAllocator().buffer(capacity: Self.sliceSize) }
            pendingBody!.writeBuffer(&chunk)
            if pendingBody!.readableBytes >= Self.sliceSize { flushBody() }
        }
        parser.onPartComplete = { [unowned self] in
            partOpen = false
            progressed = true
            partsSeen += 1
            flushBody()
            events.append(.partEnd)
            if partsSeen > limits.maxParts, failure == nil {
                failure = HTTPError(
                    .payloadTooLarge, "The form has more than \(limits.maxParts) parts", code: "payload_too_large")
            }
        }
    }

    /// The next event; nil once the body has ended well.
    func next() async throws -> Event? {
        while events.isEmpty {
            if let failure { throw failure }
            if ended { return nil }
            guard var chunk = try await source.next() else {
                ended = true
                if partOpen || (partsSeen == 0 && !isEmptyForm) {
                    throw HTTPError(.badRequest, "The multipart body ends before its closing boundary", code: "invalid_multipart")
                }
                continue
            }
            while let slice = chunk.readSlice(length: min(chunk.readableBytes, Self.sliceSize)), slice.readableBytes > 0 {
                if head.count < emptyForm.count + 2 { head += slice.readableBytesView.prefix(emptyForm.count + 2 - head.count) }
                progressed = false
                guard headerGuard.accepts(slice) else {
                    throw HTTPError(.badRequest, "A part's header name is not ASCII", code: "invalid_multipart")
                }
                do {
                    try parser.execute(slice)
                } catch {
                    // The parser refuses `--boundary--` with no part before it: an empty form.
                    if partsSeen == 0, !partOpen, isEmptyForm {
                        ended = true
                        return nil
                    }
                    throw HTTPError(.badRequest, "Malformed multipart body", code: "invalid_multipart")
                }
                bytesWithoutProgress = progressed ? 0 : bytesWithoutProgress + slice.readableBytes
                if bytesWithoutProgress > limits.maxPartHeaderSize, failure == nil {
                    failure = HTTPError(
                        .payloadTooLarge, "A part's headers exceed \(limits.maxPartHeaderSize) bytes", code: "payload_too_large")
                }
                if let failure { throw failure }
            }
            flushBody()
        }
        return events.removeFirst()
    }

    /// Queues the body bytes gathered so far as one event.
    private func flushBody() {
        guard let body = pendingBody else { return }
        pendingBody = nil
        events.append(.body(body))
    }

    /// Puts back an event taken too early (the first body chunk, which ends a part's headers).
    func pushBack(_ event: Event) {
        events.prepend(event)
    }

    private var isEmptyForm: Bool {
        guard head.starts(with: emptyForm) else { return false }
        let rest = head.dropFirst(emptyForm.count)
        return rest.isEmpty || rest.elementsEqual([13, 10]) || rest.elementsEqual([13])
    }
}
