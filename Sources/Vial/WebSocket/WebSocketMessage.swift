import NIOCore

/// One WebSocket message, whole (fragments are joined before the handler sees it).
public enum WebSocketMessage: Sendable, Equatable {
    /// A text message (valid UTF-8: a text message that is not closes the socket with 1007).
    case text(String)
    /// A binary message.
    case binary(ByteBuffer)

    /// The text of a text message; nil for a binary one.
    public var text: String? {
        if case .text(let text) = self { return text }
        return nil
    }

    /// The bytes of either kind.
    public var bytes: ByteBuffer {
        switch self {
        case .text(let text): ByteBuffer(string: text)
        case .binary(let buffer): buffer
        }
    }
}

/// A close code (RFC 6455 §7.4): why a socket closed.
public struct WebSocketCloseCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// 1000: the purpose of the socket is fulfilled.
    public static let normal = WebSocketCloseCode(rawValue: 1000)
    /// 1001: the server is shutting down (or the page is going away).
    public static let goingAway = WebSocketCloseCode(rawValue: 1001)
    /// 1002: the peer broke the protocol.
    public static let protocolError = WebSocketCloseCode(rawValue: 1002)
    /// 1003: a kind of message the endpoint does not accept.
    public static let unsupportedData = WebSocketCloseCode(rawValue: 1003)
    /// 1005: the close frame carried no code (never sent).
    public static let noStatus = WebSocketCloseCode(rawValue: 1005)
    /// 1006: the connection ended without a close frame (never sent).
    public static let abnormal = WebSocketCloseCode(rawValue: 1006)
    /// 1007: a text message that is not UTF-8, or data that contradicts its message.
    public static let invalidPayload = WebSocketCloseCode(rawValue: 1007)
    /// 1008: the endpoint's policy (the token that opened the socket expired or was revoked).
    public static let policyViolation = WebSocketCloseCode(rawValue: 1008)
    /// 1009: a message over the size limit.
    public static let messageTooBig = WebSocketCloseCode(rawValue: 1009)
    /// 1011: the server hit an unexpected condition (the handler threw, or the peer stopped
    /// answering pings).
    public static let internalError = WebSocketCloseCode(rawValue: 1011)

    /// Whether a peer may send this code in a close frame: 1000–1003, 1007–1014 and the
    /// 3000–4999 ranges for libraries and apps (RFC 6455 §7.4.2 and the IANA registry).
    public var isValidOnTheWire: Bool {
        switch rawValue {
        case 1000...1003, 1007...1014, 3000...4999: true
        default: false
        }
    }

    public var description: String { String(rawValue) }
}

/// Thrown by a send once the socket is closing or closed.
public struct WebSocketClosed: Error, Sendable, CustomStringConvertible {
    public init() {}
    public var description: String { "The WebSocket is closed" }
}
