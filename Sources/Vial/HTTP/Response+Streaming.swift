import NIOCore
import NIOHTTP1

extension Response {
    /// A streamed response that `produce` writes (chunked unless `length` is given).
    ///
    /// ```swift
    /// return Response.stream(contentType: "text/csv") { writer in
    ///     try await writer.write("id,title\n")
    ///     for try await row in rows { try await writer.write("\(row.id),\(row.title)\n") }
    /// }
    /// ```
    public static func stream(
        status: HTTPResponseStatus = .ok, contentType: String = "application/octet-stream", length: Int? = nil,
        headers: HTTPHeaders = [:], _ produce: @escaping ResponseStream.Producer
    ) -> Response {
        var headers = headers
        headers.replaceOrAdd(name: "Content-Type", value: contentType)
        return Response(status: status, headers: headers, stream: ResponseStream(length: length, produce))
    }

    /// JSON Lines (`application/x-ndjson`): each element of `values` as one line of JSON, sent
    /// as it comes. An element that cannot be encoded ends the stream (and the connection, so
    /// the client sees a cut answer rather than a complete one).
    ///
    /// ```swift
    /// return Response.jsonLines(store.allTasks())   // an AsyncSequence of Encodable rows
    /// ```
    public static func jsonLines<Values: AsyncSequence & Sendable>(
        _ values: Values, status: HTTPResponseStatus = .ok, headers: HTTPHeaders = [:]
    ) -> Response where Values.Element: Encodable {
        stream(status: status, contentType: "application/x-ndjson", headers: headers) { writer in
            for try await value in values {
                var line = ByteBuffer(bytes: try JSONCoding.encode(value))
                line.writeInteger(UInt8(ascii: "\n"))
                try await writer.write(line)
            }
        }
    }

    /// JSON Lines from an ordinary sequence, written in chunks of about 16 KiB.
    public static func jsonLines<Values: Sequence & Sendable>(
        _ values: Values, status: HTTPResponseStatus = .ok, headers: HTTPHeaders = [:]
    ) -> Response where Values.Element: Encodable {
        stream(status: status, contentType: "application/x-ndjson", headers: headers) { writer in
            var chunk = ByteBuffer()
            for value in values {
                try JSONBytesEncoder.withEncoded(value) { _ = chunk.writeBytes($0) }
                chunk.writeInteger(UInt8(ascii: "\n"))
                if chunk.readableBytes >= 16_384 {
                    try await writer.write(chunk)
                    chunk.clear()
                }
            }
            try await writer.write(chunk)
        }
    }
}
