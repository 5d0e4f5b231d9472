import Vial

/// Every example test runs twice: through the in-process client and over a real socket.
enum ClientKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case inProcess, live

    var testDescription: String { rawValue }

    func run(_ app: App, _ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        switch self {
        case .inProcess: try await body(try app.testClient())
        case .live: try await app.withLiveServer { client in try await body(client) }
        }
    }
}

import Testing
import VialTesting
