import Logging

/// The access log: one info line per answered request,
/// `request_id=… 127.0.0.1 "GET /api/hello HTTP/1.1" 200 27 0.081ms`.
///
/// When the logger writes through `BackgroundLogHandler` (the default), the line is formatted
/// straight into the writer's queue, the same bytes the handler would write, without building a
/// `Logger.Message`, a metadata dictionary and a string per request: that path cost the access
/// log a third of a small route's throughput. Any other handler gets an ordinary `logger.info`.
struct AccessLog: Sendable {
    let logger: Logger
    private let direct: (writer: LogWriter, label: String)?

    /// The longest target written directly; longer ones take the handler's path, which cuts
    /// the message at `BackgroundLogHandler.maxMessageBytes`.
    private static let maxDirectTarget = 2_048

    /// Query parameters whose values never reach the log.
    static let defaultRedactedParameters: Set<String> = ["jwt", "token", "access_token", "refresh_token", "api_key", "password", "secret", "ticket"]
    private let redacted: Set<String>

    init(logger: Logger, redacting redacted: Set<String> = defaultRedactedParameters) {
        self.logger = logger
        self.redacted = redacted
        if let handler = logger.handler as? BackgroundLogHandler, handler.metadata.isEmpty,
            handler.metadataProvider == nil, logger.logLevel <= .info
        {
            direct = (handler.writer, handler.label)
        } else {
            direct = nil
        }
    }

    /// Logs one answered request that took `micros` microseconds.
    /// Microseconds from `start` to now.
    static func micros(since start: ContinuousClock.Instant) -> Int64 {
        let elapsed = ContinuousClock.now - start
        return elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
    }

    func record(_ request: Request, _ response: Response, micros: Int64) {
        record(request, status: Int(response.status.code), bytes: response.body.readableBytes, micros: micros)
    }

    /// Logs one answered request: its status, the body bytes sent, and how long it took.
    func record(_ request: Request, status: Int, bytes: Int, micros: Int64) {
        let address = request.remoteAddress ?? "-"
        let target = request.queryString.isEmpty ? request.uri : Self.redact(request.uri, redacted)
        guard let direct, target.utf8.count <= Self.maxDirectTarget, address.utf8.count <= 64 else {
            logger.info(
                "\(address) \"\(request.method.rawValue) \(target) HTTP/\(request.version.major).\(request.version.minor)\" \(status) \(bytes) \(Double(micros) / 1000)ms",
                metadata: ["request_id": .string(request.id)])
            return
        }
        let stamp = BackgroundLogHandler.stamp()
        let size = stamp.utf8.count + direct.label.utf8.count + request.id.utf8.count + address.utf8.count
            + request.method.rawValue.utf8.count + target.utf8.count + 96
        let bodyBytes = bytes
        direct.writer.append(reserving: size) { bytes in
            bytes.append(contentsOf: stamp.utf8)
            bytes.append(contentsOf: " info ".utf8)
            bytes.append(contentsOf: direct.label.utf8)
            bytes.append(contentsOf: ": request_id=".utf8)
            bytes.append(contentsOf: request.id.utf8)
            bytes.append(UInt8(ascii: " "))
            bytes.append(contentsOf: address.utf8)
            bytes.append(contentsOf: " \"".utf8)
            bytes.append(contentsOf: request.method.rawValue.utf8)
            bytes.append(UInt8(ascii: " "))
            bytes.append(contentsOf: target.utf8)
            bytes.append(contentsOf: " HTTP/".utf8)
            Self.appendDecimal(request.version.major, to: &bytes)
            bytes.append(UInt8(ascii: "."))
            Self.appendDecimal(request.version.minor, to: &bytes)
            bytes.append(contentsOf: "\" ".utf8)
            Self.appendDecimal(status, to: &bytes)
            bytes.append(UInt8(ascii: " "))
            Self.appendDecimal(bodyBytes, to: &bytes)
            bytes.append(UInt8(ascii: " "))
            Self.appendMilliseconds(micros, to: &bytes)
            bytes.append(contentsOf: "ms\n".utf8)
        }
    }

    /// `uri` with the value of each query parameter named in `names` replaced by `[redacted]`.
    /// Read over UTF-8 (every request with a query passes here; splitting it by `Character`
    /// was 3 % of a cached task list's instructions); a name is decoded only when encoded.
    static func redact(_ uri: String, _ names: Set<String>) -> String {
        guard let question = uri.utf8.firstIndex(of: UInt8(ascii: "?")) else { return uri }
        var changed = false
        let query = uri.utf8[uri.utf8.index(after: question)...]
        let pairs = query.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: false).map { bytes -> Substring in
            let pair = Substring(bytes)
            guard let equals = pair.utf8.firstIndex(of: UInt8(ascii: "=")) else { return pair }  // no value to hide
            let name = pair[..<equals]
            let encoded = name.utf8.contains { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }
            let decoded = encoded ? PercentDecoding.decode(name, plusAsSpace: true) ?? String(name) : String(name)
            guard names.contains(decoded) else { return pair }
            changed = true
            return name + "=[redacted]"
        }
        return changed ? String(uri[...question]) + pairs.joined(separator: "&") : uri
    }

    static func appendDecimal(_ value: Int, to bytes: inout [UInt8]) {
        guard value >= 10 else { return bytes.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: max(value, 0))) }
        appendDecimal(value / 10, to: &bytes)
        bytes.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value % 10))
    }

    /// `micros` as milliseconds the way `Double.description` writes `micros / 1000`
    /// below 10^16: `0.081`, `12.5`, `3.0`.
    static func appendMilliseconds(_ micros: Int64, to bytes: inout [UInt8]) {
        let micros = max(micros, 0)
        appendDecimal(Int(micros / 1000), to: &bytes)
        bytes.append(UInt8(ascii: "."))
        var fraction = Int(micros % 1000)
        guard fraction > 0 else { return bytes.append(UInt8(ascii: "0")) }
        var digits = 3
        while fraction % 10 == 0 { fraction /= 10; digits -= 1 }
        let width = fraction >= 100 ? 3 : fraction >= 10 ? 2 : 1
        for _ in 0..<(digits - width) { bytes.append(UInt8(ascii: "0")) }
        appendDecimal(fraction, to: &bytes)
    }
}
