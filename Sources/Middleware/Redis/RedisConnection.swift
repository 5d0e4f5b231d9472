import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Synchronization

/// One TCP connection to Redis. Commands may be sent concurrently: they are written in order
/// and Redis answers in order, so each waits for its own reply (pipelining). A command not
/// answered within `timeout` fails with `RedisUnavailable`, and the connection closes (a late
/// reply would be taken for the next command's).
public final class RedisConnection: Sendable {
    let channel: any Channel
    private let timeout: TimeAmount
    /// Set when a command timed out, before its caller hears of it: from then on the connection
    /// counts as closed even while the channel is still closing, so no command is sent to it.
    private let timedOut = Atomic<Bool>(false)

    init(channel: any Channel, timeout: TimeAmount) {
        self.channel = channel
        self.timeout = timeout
    }

    /// Connects to `host:port`, then authenticates and selects `database` if given.
    public static func connect(
        host: String, port: Int, password: String? = nil, database: Int = 0, timeout: TimeAmount = .seconds(1),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> RedisConnection {
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(timeout)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(RESPHandler()) }
                }
                .connect(host: host, port: port).get()
        } catch {
            throw RedisUnavailable(reason: "cannot connect to \(host):\(port): \(error)")
        }
        let connection = RedisConnection(channel: channel, timeout: timeout)
        if let password { try await connection.checked(["AUTH", password], what: "AUTH") }
        if database != 0 { try await connection.checked(["SELECT", String(database)], what: "SELECT") }
        return connection
    }

    /// Whether the connection is still open.
    public var isActive: Bool { !timedOut.load(ordering: .acquiring) && channel.isActive }

    /// Sends one command; returns its reply (a Redis error reply is thrown as `RedisError`).
    @discardableResult
    public func send(_ arguments: [String]) async throws -> RESPValue {
        let reply = try await pipeline([arguments])[0]
        if case .error(let message) = reply { throw RedisError(message) }
        return reply
    }

    /// Sends several commands in one write and returns their replies in order; error replies
    /// are returned as `.error` values, not thrown, so one failing command does not hide the rest.
    public func pipeline(_ commands: [[String]]) async throws -> [RESPValue] {
        try await pipeline(bytes: commands.map { $0.map { Array($0.utf8) } })
    }

    /// `pipeline` with arguments as raw bytes (values that need not be UTF-8).
    public func pipeline(bytes commands: [[[UInt8]]]) async throws -> [RESPValue] {
        let channel = self.channel
        guard isActive else { throw RedisUnavailable(reason: "connection closed") }
        let promises = (0..<commands.count).map { _ in channel.eventLoop.makePromise(of: RESPValue.self) }
        // A write that never reached the handler (the channel closed meanwhile) fails the
        // commands at once instead of leaving them to the timeout. Completing a promise the
        // handler already completed does nothing.
        let written = channel.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenFailure { error in
            for promise in promises { promise.fail(RedisUnavailable(reason: "connection closed: \(error)")) }
        }
        channel.writeAndFlush(RESPHandler.Outgoing(commands: commands, promises: promises), promise: written)
        let deadline = channel.eventLoop.scheduleTask(in: timeout) { [self] in
            timedOut.store(true, ordering: .releasing)
            let error = RedisUnavailable(reason: "no reply within the timeout")
            for promise in promises { promise.fail(error) }
            channel.close(promise: nil)
        }
        defer { deadline.cancel() }
        var replies: [RESPValue] = []
        replies.reserveCapacity(commands.count)
        for promise in promises { replies.append(try await promise.futureResult.get()) }
        return replies
    }

    /// Closes the connection; pending commands fail.
    public func close() async {
        try? await channel.close()
    }

    private func checked(_ arguments: [String], what: String) async throws {
        do {
            try await send(arguments)
        } catch let error as RedisError {
            await close()
            // The reply names the problem ("WRONGPASS …"), never the password.
            throw RedisUnavailable(reason: "\(what) failed: \(error.message)")
        }
    }
}

/// Redis could not be reached or did not answer in time: callers degrade (a cache miss, a
/// limit that fails open or closed) instead of answering 500.
public struct RedisUnavailable: Error, Sendable, CustomStringConvertible {
    public let reason: String
    public var description: String { "Redis unavailable: \(reason)" }
}

/// Writes commands and completes their promises, in order, as replies are parsed.
final class RESPHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = Outgoing
    typealias OutboundOut = ByteBuffer

    struct Outgoing {
        var commands: [[[UInt8]]]
        var promises: [EventLoopPromise<RESPValue>]
    }

    private var waiting = CircularBuffer<EventLoopPromise<RESPValue>>()
    private var reader = RESPReader()

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let outgoing = unwrapOutboundIn(data)
        var buffer = context.channel.allocator.buffer(capacity: 64 * outgoing.commands.count)
        for command in outgoing.commands { RESPValue.writeCommand(command, into: &buffer) }
        waiting.append(contentsOf: outgoing.promises)
        context.write(wrapOutboundOut(buffer), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        do {
            try reader.read(unwrapInboundIn(data)) { value in
                guard let promise = waiting.popFirst() else {
                    throw RESPParser.MalformedReply(reason: "a reply nobody asked for")
                }
                promise.succeed(value)
            }
        } catch {
            failAll(RedisUnavailable(reason: "malformed reply: \(error)"))
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(RedisUnavailable(reason: "connection closed"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(RedisUnavailable(reason: "\(error)"))
        context.close(promise: nil)
    }

    private func failAll(_ error: RedisUnavailable) {
        while let promise = waiting.popFirst() { promise.fail(error) }
    }
}
