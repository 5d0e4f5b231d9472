import Foundation
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle
import Vial

/// Live task events (`task.created`, `task.updated`, `task.deleted`) for `GET /api/tasks/events`.
///
/// Every write publishes one event on the broker's `tasks` channel, so a subscriber on any
/// instance receives it. Run as a service, each instance also keeps the last `historyLimit`
/// events it saw, so a client that reconnects with `Last-Event-ID` gets what it missed; when
/// that id is no longer held (or the broker reported a gap) the client is told to refetch.
public final class TaskEvents: Service, Sendable {
    /// The broker channel.
    public static let channel = "tasks"

    /// One event as it travels on the broker and sits in the history.
    public struct Event: Codable, Sendable, Equatable {
        public var id: String
        public var type: String
        public var ownerId: Int64
        public var task: TaskItem

        enum CodingKeys: String, CodingKey {
            case id, type, task
            case ownerId = "owner_id"
        }
    }

    /// What a resuming client gets before the live events.
    public enum Replay: Sendable, Equatable {
        /// The events after its `Last-Event-ID` (empty when it missed nothing, or sent none).
        case events([Event])
        /// Its `Last-Event-ID` is not in the history: it should refetch.
        case unknown
    }

    public let broker: any MessageBroker
    /// Events kept for `Last-Event-ID`.
    public let historyLimit: Int
    /// An event as the history keeps it: its id, and its payload as it came, decoded only
    /// when a resuming client needs it (decoding every event was a fifth of a create's
    /// instructions, for a history that is rarely read).
    struct Recorded {
        let id: String
        let payload: [UInt8]
    }

    private let history = NIOLockedValueBox<[Recorded]>([])
    private let logger: Logger

    public init(broker: any MessageBroker, historyLimit: Int = 1_000, logger: Logger = Logger(label: "vial.tasks")) {
        self.broker = broker
        self.historyLimit = historyLimit
        self.logger = logger
    }

    /// Publishes `type` for `task`; never throws (an event that cannot travel is logged: the write stands).
    public func publish(_ type: String, _ task: TaskItem) async {
        let event = Event(id: Self.newID(), type: type, ownerId: task.ownerId, task: task)
        do {
            try await broker.publish(Self.channel, try JSONCoding.encode(event))
        } catch {
            logger.warning("could not publish \(type) for task \(task.id ?? 0): \(error)")
        }
    }

    /// Decodes a broker payload (nil for anything that is not an event).
    public static func decode(_ payload: [UInt8]) -> Event? {
        try? JSONDecoder().decode(Event.self, from: Data(payload))
    }

    /// Records events into the history until shutdown.
    public func run() async throws {
        let subscription = try await broker.subscribe(Self.channel, buffer: 10_000)
        await withGracefulShutdownHandler {
            for await message in subscription {
                switch message {
                case .message(let payload):
                    guard let id = Self.eventID(payload) else { continue }
                    record(Recorded(id: id, payload: payload))
                case .gap:
                    // The history no longer holds everything in order: resumes must refetch.
                    history.withLockedValue { $0.removeAll() }
                }
            }
        } onGracefulShutdown: {
            subscription.cancel()
        }
    }

    /// The id of the event in `payload`, without decoding the task: events are written by
    /// `JSONCoding.encode`, keys sorted, so `id` comes first; anything else is parsed whole.
    static func eventID(_ payload: [UInt8]) -> String? {
        let prefix = Array(#"{"id":""#.utf8)
        if payload.starts(with: prefix), let end = payload[prefix.count...].firstIndex(of: UInt8(ascii: "\"")),
            !payload[prefix.count..<end].contains(UInt8(ascii: "\\"))
        {
            return String(decoding: payload[prefix.count..<end], as: UTF8.self)
        }
        return decode(payload)?.id
    }

    /// Adds `event` to the history (the oldest drop off past `historyLimit`).
    func record(_ event: Recorded) {
        history.withLockedValue { history in
            history.append(event)
            if history.count > historyLimit { history.removeFirst(history.count - historyLimit) }
        }
    }

    /// What a client resuming after `lastEventID` missed.
    public func replay(after lastEventID: String?) -> Replay {
        guard let lastEventID else { return .events([]) }
        let missed = history.withLockedValue { history -> ArraySlice<Recorded>? in
            guard let index = history.lastIndex(where: { $0.id == lastEventID }) else { return nil }
            return history[(index + 1)...]
        }
        guard let missed else { return .unknown }
        return .events(missed.compactMap { Self.decode($0.payload) })
    }

    /// Unique across instances and increasing within one: milliseconds, then random bits.
    static func newID() -> String {
        let millis = Int64(Date().timeIntervalSince1970 * 1000)
        return "\(millis)-\(String(UInt32.random(in: .min ... .max), radix: 16))"
    }
}

extension TaskEvents.Event {
    /// The event as Server-Sent Events send it: its type, its id, and the task as data.
    var serverSentEvent: ServerSentEvent {
        ServerSentEvent(
            data: (try? JSONCoding.encode(task)).map { String(decoding: $0, as: UTF8.self) } ?? "{}",
            event: type, id: id)
    }

    /// Whether `caller` may see it: its owner, or an admin.
    func isVisible(to caller: CurrentUser) -> Bool {
        caller.isAdmin || ownerId == caller.id
    }
}
