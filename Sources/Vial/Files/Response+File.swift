import Foundation
import NIOCore
import NIOFileSystem
import NIOHTTP1

/// How a file is offered: shown in place or saved (RFC 6266 `Content-Disposition`).
public enum ContentDisposition: Sendable, Equatable {
    /// `inline`, optionally with the name to save it as.
    case inline(filename: String?)
    /// `attachment`: browsers save it, under `filename` (made safe) when given.
    case attachment(filename: String?)

    /// The header value: an ASCII `filename` with anything unsafe replaced by `_`, plus a
    /// UTF-8 `filename*` when the name is not plain ASCII.
    public var headerValue: String {
        let (kind, name): (String, String?)
        switch self {
        case .inline(let filename): (kind, name) = ("inline", filename)
        case .attachment(let filename): (kind, name) = ("attachment", filename)
        }
        guard let name, case let safe = Self.safeFilename(name), !safe.isEmpty else { return kind }
        let ascii = String(safe.unicodeScalars.map { $0.isASCII ? Character($0) : "_" })
        var value = "\(kind); filename=\"\(ascii)\""
        if ascii != safe {
            let encoded = safe.addingPercentEncoding(withAllowedCharacters: Self.attrChar) ?? ascii
            value += "; filename*=UTF-8''\(encoded)"
        }
        return value
    }

    /// `name` without any directory part, control characters, quotes or backslashes (each
    /// replaced by `_`), leading dots, and cut to 255 bytes: safe to put in a header and to save.
    public static func safeFilename(_ name: String) -> String {
        let base = name.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        var scalars = String.UnicodeScalarView()
        for scalar in base.unicodeScalars {
            let unsafe = scalar.value < 0x20 || scalar.value == 0x7F || scalar == "\"" || scalar == ";"
                || (0x80...0x9F).contains(scalar.value) || scalar == "\u{2028}" || scalar == "\u{2029}"
            scalars.append(unsafe ? "_" : scalar)
        }
        // Dots and spaces in any order (" .profile"): a name never starts with either.
        var safe = String(scalars).trimmedSpaces
        while safe.hasPrefix(".") { safe = String(safe.dropFirst()).trimmedSpaces }
        while safe.utf8.count > 255 { safe.removeLast() }
        return safe
    }

    /// RFC 8187 `attr-char`.
    private static let attrChar = CharacterSet(
        charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$&+-.^_`|~")
}

extension Response {
    /// The file at `path`, streamed from disk in chunks (NIO's non-blocking file system, never a
    /// blocking read on an event loop), answering `request`'s conditional and range headers:
    ///
    /// - `ETag` (size and modification time) and `Last-Modified`; `If-None-Match`, or else
    ///   `If-Modified-Since`, gives 304 when the file is unchanged.
    /// - `Range: bytes=…` with one satisfiable range gives 206 and that slice (`If-Range` must
    ///   match when sent); a range past the end gives 416; several ranges get the whole file (200).
    /// - `Content-Type` by extension unless given; `Content-Disposition` when `disposition` is.
    ///
    /// `etag` replaces the one made from size and modification time, for a file whose name
    /// already says what it holds (content named by its hash).
    ///
    /// Throws a 404 `HTTPError` when there is no regular file at `path`. A file that changes
    /// while it is sent ends the answer early (the client sees a cut body).
    public static func file(
        at path: String, for request: Request, contentType: String? = nil, disposition: ContentDisposition? = nil,
        etag: String? = nil, headers extra: HTTPHeaders = [:], chunkSize: Int = 256 * 1024
    ) async throws -> Response {
        let filePath = FilePath(path)
        guard let info = try? await FileIO.fileSystem.info(forFileAt: filePath, infoAboutSymbolicLink: false),
            info.type == .regular
        else { throw HTTPError.notFound() }
        let size = info.size
        let modified = info.lastDataModificationTime
        let etag = etag ?? "\"\(String(modified.seconds, radix: 16))\(String(modified.nanoseconds / 1000, radix: 16))-\(String(size, radix: 16))\""
        var headers = extra
        headers.replaceOrAdd(name: "ETag", value: etag)
        headers.replaceOrAdd(name: "Last-Modified", value: HTTPDateCache.format(modified.seconds))
        headers.replaceOrAdd(name: "Accept-Ranges", value: "bytes")
        if FileConditions.notModified(request, etag: etag, modified: modified.seconds) {
            return Response(status: .notModified, headers: headers)
        }
        headers.replaceOrAdd(name: "Content-Type", value: contentType ?? MediaType.forPath(path))
        if let disposition { headers.replaceOrAdd(name: "Content-Disposition", value: disposition.headerValue) }
        var ranges = ByteRanges.whole
        if request.method == .GET, FileConditions.rangeApplies(request, etag: etag, modified: modified.seconds) {
            ranges = ByteRanges(header: request.header("Range"), length: size)
        }
        let slice: Range<Int64>
        var status = HTTPResponseStatus.ok
        switch ranges {
        case .unsatisfiable:
            var error = HTTPError(.rangeNotSatisfiable, "The range is outside the file (\(size) bytes)", code: "range_not_satisfiable")
            error.headers = ["Content-Range": "bytes */\(size)", "Accept-Ranges": "bytes"]
            throw error
        case .ranges(let parts) where parts.count == 1:
            let part = parts[0]
            slice = part.lowerBound..<(part.upperBound + 1)
            status = .partialContent
            headers.replaceOrAdd(name: "Content-Range", value: "bytes \(part.lowerBound)-\(part.upperBound)/\(size)")
        default:
            slice = 0..<size
        }
        let stream = ResponseStream(length: Int(slice.count)) { writer in
            try await FileIO.fileSystem.withFileHandle(forReadingAt: filePath) { handle in
                let now = try await handle.info()
                guard now.size == size, now.lastDataModificationTime == modified else { throw FileChangedWhileSending() }
                for try await chunk in handle.readChunks(in: slice, chunkLength: .bytes(Int64(chunkSize))) {
                    try await writer.write(chunk)
                }
            }
        }
        return Response(status: status, headers: headers, stream: stream)
    }
}

/// The file changed between its headers and its body.
struct FileChangedWhileSending: Error, CustomStringConvertible {
    var description: String { "The file changed while it was being sent" }
}

/// Conditional requests against a file's validators (RFC 9110 §13).
enum FileConditions {
    /// `If-None-Match` (weak comparison, `*` matches) or, without it, `If-Modified-Since`.
    static func notModified(_ request: Request, etag: String, modified: Int) -> Bool {
        guard request.method == .GET || request.method == .HEAD else { return false }
        if let match = request.header("If-None-Match") {
            return match.trimmedSpaces == "*" || match.split(separator: ",").contains { tag in
                let tag = tag.trimmedSpaces
                return (tag.hasPrefix("W/") ? String(tag.dropFirst(2)) : tag) == etag
            }
        }
        if let since = request.header("If-Modified-Since").flatMap(HTTPDateCache.parse) {
            return modified <= since
        }
        return false
    }

    /// `If-Range` absent, or matching the ETag (strongly) or the modification date exactly.
    static func rangeApplies(_ request: Request, etag: String, modified: Int) -> Bool {
        guard let condition = request.header("If-Range")?.trimmedSpaces else { return true }
        if condition.hasPrefix("\"") { return condition == etag }
        return HTTPDateCache.parse(condition) == modified
    }
}
