import Foundation
import NIOConcurrencyHelpers
import ServiceLifecycle
import Testing
import Vial
@testable import VialMiddleware
import VialTesting

/// The brokers: in-process fan-out, and Redis carrying messages between two instances.
@Suite struct BrokerTests {
    @Test func aLocalBrokerFansOutToTheSubscribersOfAChannel() async throws {
        let broker = LocalBroker()
        let first = try await broker.subscribe("tasks")
        let second = try await broker.subscribe("tasks")
        let elsewhere = try await broker.subscribe("jobs")
        try await broker.publish("tasks", Array("hello".utf8))
        var one = first.makeAsyncIterator(), two = second.makeAsyncIterator()
        #expect(await one.next() == .message(Array("hello".utf8)))
        #expect(await two.next() == .message(Array("hello".utf8)))
        #expect(broker.subscriberCount == 3)
        elsewhere.cancel()
        first.cancel()
        #expect(await one.next() == nil)
        #expect(broker.subscriberCount == 1)
    }

    @Test func aReaderThatFallsBehindIsEndedNotBuffered() async throws {
        let broker = LocalBroker()
        let slow = try await broker.subscribe("tasks", buffer: 3)
        for n in 0..<10 { try await broker.publish("tasks", [UInt8(n)]) }
        var received: [BrokerMessage] = []
        for await message in slow { received.append(message) }
        #expect(received == [.message([0]), .message([1]), .message([2])])
        #expect(slow.overrun)
        #expect(broker.subscriberCount == 0)
    }

    @Test(.enabled(if: RedisTestServer.isAvailable))
    func redisCarriesAMessageFromOneInstanceToAnother() async throws {
        let server = try RedisTestServer()
        let a = RedisBroker(redis: try RedisClient(url: server.url))
        let b = RedisBroker(redis: try RedisClient(url: server.url))
        let runners = [Task { try await a.run() }, Task { try await b.run() }]
        defer { for runner in runners { runner.cancel() } }
        // Generous bounds: a loaded machine is slow, and the test never waits longer than needed.
        try await waitUntil { a.isSubscribed && b.isSubscribed }
        let received = NIOLockedValueBox<[BrokerMessage]>([])
        let onB = try await b.subscribe("tasks")
        let reader = Task { for await message in onB { received.withLockedValue { $0.append(message) } } }
        defer { reader.cancel() }
        // A publish that finds A's client between connections stays on A: send until B hears it.
        try await publishUntilHeard(a, Array(#"{"n":1}"#.utf8), received)

        // Redis restarts: the subscriber is told it may have missed messages, then hears new ones.
        server.stop()
        try await waitUntil { !b.isSubscribed }
        try server.start()
        try await waitUntil { b.isSubscribed && a.isSubscribed }
        try await waitUntil { received.withLockedValue { $0.contains(.gap) } }
        try await publishUntilHeard(a, Array("again".utf8), received)
        let messages = received.withLockedValue { $0 }
        let gap = try #require(messages.firstIndex(of: .gap))
        #expect(messages.firstIndex(of: .message(Array("again".utf8)))! > gap)
    }

    private func publishUntilHeard(_ broker: RedisBroker, _ payload: [UInt8], _ received: NIOLockedValueBox<[BrokerMessage]>) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            try await broker.publish("tasks", payload)
            let heard = ContinuousClock.now + .seconds(1)
            while ContinuousClock.now < heard {
                if received.withLockedValue({ $0.contains(.message(payload)) }) { return }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        throw TimedOut()
    }

    @Test func aPublishWhileRedisIsDownStillReachesThisInstance() async throws {
        // Nothing listens on this port.
        let broker = RedisBroker(redis: try RedisClient(url: "redis://127.0.0.1:1/0"))
        let local = try await broker.subscribe("tasks")
        try await broker.publish("tasks", [42])
        var iterator = local.makeAsyncIterator()
        #expect(await iterator.next() == .message([42]))
    }

    private func waitUntil(timeout: Duration = .seconds(30), _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            guard ContinuousClock.now < deadline else { throw TimedOut() }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    struct TimedOut: Error {}
}
