import NIOConcurrencyHelpers

/// Publish/subscribe between the parts of an app, and between its instances: what event
/// streams (and WebSockets) fan out through. `LocalBroker` is the in-process default;
/// `RedisBroker` (VialMiddleware) carries messages between instances with Redis
/// `PUBLISH`/`SUBSCRIBE`.
///
/// ```swift
/// let updates = try await broker.subscribe("tasks")
/// for await message in updates { … }          // ends when unsubscribed or overrun
/// try await broker.publish("tasks", Array(json.utf8))
/// ```
public protocol MessageBroker: Sendable {
    /// Sends `payload` to every subscriber of `channel` (on every instance, for a shared broker).
    func publish(_ channel: String, _ payload: [UInt8]) async throws
    /// Subscribes to `channel`. At most `buffer` messages wait for a slow reader; one more ends
    /// the subscription (its sequence finishes with `overrun` set) rather than holding memory
    /// without bound or silently skipping messages.
    func subscribe(_ channel: String, buffer: Int) async throws -> BrokerSubscription
}

extension MessageBroker {
    /// Subscribes with a buffer of 256 messages.
    public func subscribe(_ channel: String) async throws -> BrokerSubscription {
        try await subscribe(channel, buffer: 256)
    }
}

/// What a subscriber receives.
public enum BrokerMessage: Sendable, Equatable {
    /// A published payload.
    case message([UInt8])
    /// Messages may have been missed (a shared broker lost its connection and is back):
    /// a subscriber that keeps state should refetch it.
    case gap
}

/// The messages of one subscription, in publish order; ends when `cancel()` is called, when
/// the broker shuts down, or when the reader fell `buffer` messages behind (`overrun`).
public struct BrokerSubscription: AsyncSequence, Sendable {
    public typealias Element = BrokerMessage

    let stream: AsyncStream<BrokerMessage>
    let state: SubscriberState

    public func makeAsyncIterator() -> AsyncStream<BrokerMessage>.AsyncIterator { stream.makeAsyncIterator() }

    /// Whether the subscription ended because its reader fell too far behind.
    public var overrun: Bool { state.overrun.withLockedValue { $0 } }

    /// Ends the subscription (its sequence finishes).
    public func cancel() { state.continuation.finish() }
}

/// One subscriber's end of the fan-out: its continuation, and whether it was overrun.
final class SubscriberState: Sendable {
    let continuation: AsyncStream<BrokerMessage>.Continuation
    let overrun = NIOLockedValueBox(false)

    init(continuation: AsyncStream<BrokerMessage>.Continuation) { self.continuation = continuation }

    /// Delivers `message`; a full buffer ends the subscription.
    func deliver(_ message: BrokerMessage) {
        if case .dropped = continuation.yield(message) {
            overrun.withLockedValue { $0 = true }
            continuation.finish()
        }
    }
}

/// The in-process broker: messages reach the subscribers of this process only.
public final class LocalBroker: MessageBroker {
    private struct Subscribers {
        var nextID = 0
        var byChannel: [String: [Int: SubscriberState]] = [:]
    }

    private let subscribers = NIOLockedValueBox(Subscribers())

    public init() {}

    public func publish(_ channel: String, _ payload: [UInt8]) async throws {
        deliver(channel, .message(payload))
    }

    /// Hands `message` to the subscribers of `channel` (synchronously; never blocks).
    public func deliver(_ channel: String, _ message: BrokerMessage) {
        let targets = subscribers.withLockedValue { $0.byChannel[channel].map { Array($0.values) } ?? [] }
        for target in targets { target.deliver(message) }
    }

    /// Hands `message` to every subscriber of every channel (a `.gap` after a reconnect).
    public func deliverToAll(_ message: BrokerMessage) {
        let targets = subscribers.withLockedValue { $0.byChannel.values.flatMap(\.values) }
        for target in targets { target.deliver(message) }
    }

    public func subscribe(_ channel: String, buffer: Int) async throws -> BrokerSubscription {
        let (stream, continuation) = AsyncStream.makeStream(of: BrokerMessage.self, bufferingPolicy: .bufferingOldest(max(buffer, 1)))
        let state = SubscriberState(continuation: continuation)
        let id = subscribers.withLockedValue { subscribers in
            defer { subscribers.nextID += 1 }
            subscribers.byChannel[channel, default: [:]][subscribers.nextID] = state
            return subscribers.nextID
        }
        continuation.onTermination = { [weak self] _ in
            self?.subscribers.withLockedValue { subscribers in
                subscribers.byChannel[channel]?[id] = nil
                if subscribers.byChannel[channel]?.isEmpty == true { subscribers.byChannel[channel] = nil }
            }
        }
        return BrokerSubscription(stream: stream, state: state)
    }

    /// Subscribers now, over all channels (for tests and metrics).
    public var subscriberCount: Int { subscribers.withLockedValue { $0.byChannel.values.reduce(0) { $0 + $1.count } } }
}
