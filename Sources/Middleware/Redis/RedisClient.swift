import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Synchronization

/// A small pool of pipelined connections to one Redis server, from a `redis://` URL
/// (`redis://[:password@]host[:port][/database]`, as Flask-Limiter and Flask-Caching take it).
///
/// Commands go to the pool's connections in turn; each connection carries many commands at
/// once (pipelining). A connection that closed is replaced on next use; when connecting fails,
/// that slot waits before trying again (100 ms, doubling up to 5 s) and fails fast meanwhile
/// with `RedisUnavailable`, so callers degrade at once instead of piling up behind a dead
/// server. Every command has a timeout.
///
/// ```swift
/// let redis = try RedisClient(url: "redis://127.0.0.1:6379/0")
/// try await redis.send(["SET", "greeting", "hello", "EX", "60"])
/// let replies = try await redis.pipeline([["INCR", "hits"], ["EXPIRE", "hits", "60"]])
/// ```
public final class RedisClient: Sendable {
    /// Where to connect, from the URL.
    public struct Endpoint: Sendable, Equatable {
        public var host: String
        public var port: Int
        public var password: String?
        public var database: Int

        /// Parses `redis://[[user]:password@]host[:port][/database]`.
        public init(url: String) throws {
            guard let components = URLComponents(string: url), components.scheme == "redis", let host = components.host, !host.isEmpty
            else { throw RedisUnavailable(reason: "not a redis:// URL") }
            self.host = host
            self.port = components.port ?? 6379
            self.password = components.password.flatMap { $0.removingPercentEncoding ?? $0 }
            let path = components.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            guard path.isEmpty || Int(path) != nil else { throw RedisUnavailable(reason: "the database in a redis:// URL is a number") }
            self.database = Int(path) ?? 0
        }
    }

    private enum Slot {
        case idle(failures: Int, retryAt: NIODeadline?)
        case connecting(Task<RedisConnection, any Error>, failures: Int)
        case connected(RedisConnection)
    }

    private enum Step {
        case use(RedisConnection)
        case wait(Task<RedisConnection, any Error>, failures: Int)
        case refuse
    }

    public let endpoint: Endpoint
    private let timeout: TimeAmount
    private let group: any EventLoopGroup
    private let slots: NIOLockedValueBox<[Slot]>
    private let turn = Atomic<Int>(0)
    /// Connections attempted so far (tests check the back-off with it).
    let connectAttempts = Atomic<Int>(0)

    /// Longest wait between connection attempts.
    static let maxBackoff = TimeAmount.seconds(5)

    /// A client for `url` with `poolSize` connections (made when first needed) and a timeout
    /// for connecting and for each command.
    public init(
        url: String, poolSize: Int = 4, timeout: TimeAmount = .milliseconds(500),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws {
        self.endpoint = try Endpoint(url: url)
        self.timeout = timeout
        self.group = group
        self.slots = NIOLockedValueBox(Array(repeating: .idle(failures: 0, retryAt: nil), count: max(1, poolSize)))
    }

    /// Sends one command and returns its reply; an error reply is thrown as `RedisError`,
    /// an unreachable or silent server as `RedisUnavailable`.
    @discardableResult
    public func send(_ arguments: [String]) async throws -> RESPValue {
        try await connection().send(arguments)
    }

    /// Sends commands in one write on one connection (so they run back to back, in order) and
    /// returns their replies; error replies come back as `.error` values.
    public func pipeline(_ commands: [[String]]) async throws -> [RESPValue] {
        try await connection().pipeline(commands)
    }

    /// `pipeline` with arguments as raw bytes (values that need not be UTF-8).
    public func pipeline(bytes commands: [[[UInt8]]]) async throws -> [RESPValue] {
        try await connection().pipeline(bytes: commands)
    }

    /// Closes every connection.
    public func close() async {
        let open = slots.withLockedValue { slots -> [RedisConnection] in
            defer { slots = slots.map { _ in .idle(failures: 0, retryAt: nil) } }
            return slots.compactMap { if case .connected(let connection) = $0 { return connection } else { return nil } }
        }
        for connection in open { await connection.close() }
    }

    /// The delay after `failures` failed attempts in a row: 100 ms, doubling, at most 5 s.
    static func backoff(after failures: Int) -> TimeAmount {
        let milliseconds = 100 << min(max(failures - 1, 0), 6)
        return min(.milliseconds(Int64(milliseconds)), maxBackoff)
    }

    private func connection() async throws -> RedisConnection {
        let index = turn.add(1, ordering: .relaxed).oldValue % slots.withLockedValue { $0.count }
        let endpoint = self.endpoint, timeout = self.timeout, group = self.group
        let step = slots.withLockedValue { slots -> Step in
            var failures = 0
            switch slots[index] {
            case .connected(let connection) where connection.isActive:
                return .use(connection)
            case .connecting(let task, let count):
                return .wait(task, failures: count)
            case .idle(let count, let retryAt):
                if let retryAt, NIODeadline.now() < retryAt { return .refuse }
                failures = count
            case .connected:
                failures = 0  // it was working: reconnect at once
            }
            connectAttempts.add(1, ordering: .relaxed)
            let task = Task {
                try await RedisConnection.connect(
                    host: endpoint.host, port: endpoint.port, password: endpoint.password, database: endpoint.database,
                    timeout: timeout, group: group)
            }
            slots[index] = .connecting(task, failures: failures)
            return .wait(task, failures: failures)
        }
        switch step {
        case .use(let connection):
            return connection
        case .refuse:
            throw RedisUnavailable(reason: "\(endpoint.host):\(endpoint.port) is unreachable; retrying after a pause")
        case .wait(let task, let failures):
            do {
                let connection = try await task.value
                slots.withLockedValue { slots in
                    if case .connecting = slots[index] { slots[index] = .connected(connection) }
                }
                return connection
            } catch {
                slots.withLockedValue { slots in
                    if case .connecting = slots[index] {
                        slots[index] = .idle(failures: failures + 1, retryAt: .now() + Self.backoff(after: failures + 1))
                    }
                }
                throw error
            }
        }
    }
}
