import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle
import Vial

/// A `MessageBroker` shared by every instance through Redis: `publish` is a Redis `PUBLISH`,
/// and one connection per instance holds `PSUBSCRIBE prefix*` and fans each message out to
/// this instance's subscribers (through a `LocalBroker`).
///
/// - Run it as a service (`app.addServices(broker)`): `run()` keeps the subscribing connection
///   up, reconnecting with backoff; after a reconnect every subscriber gets `.gap` (messages
///   published while it was down never arrived here).
/// - While Redis cannot be reached, `publish` delivers to this instance's subscribers only and
///   logs a warning: a write never fails because its notification could not travel.
public final class RedisBroker: MessageBroker, Service {
    private let redis: RedisClient
    private let prefix: String
    private let local = LocalBroker()
    private let logger: Logger
    private let group: any EventLoopGroup

    /// A broker over `redis`, on channels named `prefix` + channel.
    public init(
        redis: RedisClient, prefix: String = "vial:", logger: Logger = Logger(label: "vial.broker"),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.redis = redis
        self.prefix = prefix
        self.logger = logger
        self.group = group
    }

    public func publish(_ channel: String, _ payload: [UInt8]) async throws {
        do {
            let reply = try await redis.pipeline(bytes: [[Array("PUBLISH".utf8), Array((prefix + channel).utf8), payload]])
            if case .error(let message) = reply[0] { throw RedisError(message) }
        } catch {
            logger.warning("could not publish to Redis (\(error)); delivered on this instance only")
            local.deliver(channel, .message(payload))
        }
    }

    public func subscribe(_ channel: String, buffer: Int) async throws -> BrokerSubscription {
        try await local.subscribe(channel, buffer: buffer)
    }

    /// Local subscribers now.
    public var subscriberCount: Int { local.subscriberCount }

    /// Whether the subscribing connection is up and subscribed (messages published now arrive).
    public var isSubscribed: Bool { state.withLockedValue { $0.subscribed } }

    private struct State {
        var connection: RedisSubscriberConnection?
        var stopping = false
        var subscribed = false
    }

    private let state = NIOLockedValueBox(State())

    /// Keeps the subscribing connection up until graceful shutdown or cancellation.
    public func run() async throws {
        var failures = 0
        var connectedBefore = false
        let state = self.state
        let stop: @Sendable () -> Void = {
            let open = state.withLockedValue { state -> RedisSubscriberConnection? in
                state.stopping = true
                return state.connection
            }
            open?.channel.close(promise: nil)
        }
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                while !state.withLockedValue({ $0.stopping }) {
                    do {
                        let connection = try await RedisSubscriberConnection.connect(redis.endpoint, group: group)
                        let stopped = state.withLockedValue { state in
                            state.connection = connection
                            return state.stopping
                        }
                        if stopped { await connection.close() }
                        try await connection.send(["PSUBSCRIBE", prefix + "*"])
                        for await value in connection.replies {
                            if isConfirmation(value) {
                                state.withLockedValue { $0.subscribed = true }
                                if connectedBefore { local.deliverToAll(.gap) }
                                connectedBefore = true
                                failures = 0
                            } else {
                                route(value)
                            }
                        }
                        state.withLockedValue { state in
                            state.connection = nil
                            state.subscribed = false
                        }
                        await connection.close()
                        if !state.withLockedValue({ $0.stopping }) {
                            failures += 1
                            logger.warning("the Redis subscription connection closed; reconnecting")
                        }
                    } catch {
                        failures += 1
                        if failures == 1 { logger.warning("cannot subscribe to Redis: \(error); retrying") }
                    }
                    if state.withLockedValue({ $0.stopping }) { break }
                    let pause = RedisClient.backoff(after: max(failures, 1))
                    try? await Task.sleep(for: .nanoseconds(pause.nanoseconds))
                }
            } onCancel: {
                stop()
            }
        } onGracefulShutdown: {
            stop()
        }
    }

    /// `psubscribe pattern count`: the subscription is in place.
    private func isConfirmation(_ value: RESPValue) -> Bool {
        guard case .array(let parts?) = value, parts.count == 3 else { return false }
        return parts[0].string == "psubscribe"
    }

    /// `pmessage pattern channel payload` → this instance's subscribers of `channel`.
    private func route(_ value: RESPValue) {
        guard case .array(let parts?) = value, parts.count == 4, parts[0].string == "pmessage",
            let channel = parts[2].string, channel.hasPrefix(prefix), case .bulkString(let payload?) = parts[3]
        else { return }
        local.deliver(String(channel.dropFirst(prefix.count)), .message(payload))
    }
}

/// A connection in Redis's subscriber mode: every value the server sends (replies and pushed
/// messages alike) comes out of `replies`, which ends when the connection closes.
final class RedisSubscriberConnection: Sendable {
    let channel: any Channel
    let replies: AsyncStream<RESPValue>

    private init(channel: any Channel, replies: AsyncStream<RESPValue>) {
        self.channel = channel
        self.replies = replies
    }

    static func connect(_ endpoint: RedisClient.Endpoint, group: any EventLoopGroup) async throws -> RedisSubscriberConnection {
        let (stream, continuation) = AsyncStream.makeStream(of: RESPValue.self, bufferingPolicy: .bufferingOldest(10_000))
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(1))
            .channelOption(.socketOption(.so_keepalive), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(PushHandler(continuation: continuation))
                }
            }
            .connect(host: endpoint.host, port: endpoint.port).get()
        let connection = RedisSubscriberConnection(channel: channel, replies: stream)
        if let password = endpoint.password { try await connection.send(["AUTH", password]) }
        return connection
    }

    func send(_ arguments: [String]) async throws {
        var buffer = channel.allocator.buffer(capacity: 64)
        RESPValue.writeCommand(arguments, into: &buffer)
        try await channel.writeAndFlush(buffer).get()
    }

    func close() async {
        try? await channel.close()
    }

    private final class PushHandler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let continuation: AsyncStream<RESPValue>.Continuation
        var reader = RESPReader()

        init(continuation: AsyncStream<RESPValue>.Continuation) { self.continuation = continuation }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            do {
                try reader.read(unwrapInboundIn(data)) { value in
                    if case .error = value { context.close(promise: nil) }  // AUTH refused, …
                    if case .dropped = continuation.yield(value) { context.close(promise: nil) }
                }
            } catch {
                context.close(promise: nil)
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            continuation.finish()
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
