import Foundation
import NIOHTTP1

/// The checks a WebSocket handshake passes before the server switches protocols (RFC 6455
/// §4.2.1), after the route's middleware: each failure is an ordinary HTTP answer.
enum WebSocketHandshake {
    /// Throws the refusal for `request`, or returns when it may be upgraded.
    static func check(_ request: Request, settings: WebSocketSettings) throws {
        let headers = request.headers
        let connection = headers[canonicalForm: "connection"].contains { $0.lowercased() == "upgrade" }
        guard request.method == .GET, request.asksForWebSocket, connection else {
            throw HTTPError(
                .upgradeRequired, "This URL speaks WebSocket: send a GET with Upgrade: websocket and Connection: Upgrade",
                code: "upgrade_required", headers: ["Upgrade": "websocket", "Connection": "Upgrade"])
        }
        guard headers["sec-websocket-version"] == ["13"] else {
            throw HTTPError(
                .upgradeRequired, "Unsupported Sec-WebSocket-Version (this server speaks 13)",
                code: "unsupported_websocket_version", headers: ["Sec-WebSocket-Version": "13"])
        }
        let keys = headers["sec-websocket-key"]
        guard keys.count == 1, let key = Data(base64Encoded: keys[0].trimmingCharacters(in: .whitespaces)), key.count == 16
        else {
            throw HTTPError(.badRequest, "Missing or invalid Sec-WebSocket-Key (16 bytes, base64)", code: "invalid_websocket_key")
        }
        if let origin = headers.first(name: "origin"), !isAllowed(origin: origin, request, settings) {
            throw HTTPError(.forbidden, "Origin not allowed to open a WebSocket here", code: "origin_not_allowed")
        }
    }

    /// Browsers send `Origin` with every handshake: the page's own server, or a listed origin,
    /// may open sockets; any other page may not (cross-site WebSocket hijacking would otherwise
    /// ride on the visitor's cookies). Clients that are not browsers send no `Origin`.
    static func isAllowed(origin: String, _ request: Request, _ settings: WebSocketSettings) -> Bool {
        if settings.allowedOrigins.contains(where: { $0.matches(origin) }) { return true }
        guard let separator = origin.range(of: "://") else { return false }
        let scheme = origin[..<separator.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https", let originHost = HostHeader(String(origin[separator.upperBound...])) else {
            return false
        }
        // The host the browser addressed: a trusted proxy's X-Forwarded-Host, else Host.
        guard let served = request.addressedHost else {
            return false
        }
        let defaultPort = scheme == "https" ? 443 : 80
        return originHost.name == served.name && (originHost.port ?? defaultPort) == (served.port ?? defaultPort)
    }
}

extension Request {
    /// Whether the request asks to become a WebSocket (`Upgrade: websocket`): what a handshake
    /// sends, and what lets a ticket stand in for the `Authorization` header.
    public var asksForWebSocket: Bool {
        headers[canonicalForm: "upgrade"].contains { $0.lowercased() == "websocket" }
    }
}
