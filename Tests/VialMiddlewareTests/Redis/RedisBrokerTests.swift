import Foundation
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
        let publisher = try RedisClient(url: server.url)
        let a = RedisBroker(redis: publisher)
        let b = RedisBroker(redis: try RedisClient(url: server.url))
        let runners = [Task { try await a.run() }, Task { try await b.run() }]
        defer { for runner in runners { runner.cancel() } }
        // Generous bounds: a loaded machine is slow, and the test never waits longer than needed.
        try await waitUntil { a.isSubscribed && b.isSubscribed }
        let onB = try await b.subscribe("tasks")
        try await a.publish("tasks", Array(#"{"n":1}"#.utf8))
        var iterator = onB.makeAsyncIterator()
        #expect(await iterator.next() == .message(Array(#"{"n":1}"#.utf8)))

        // Redis restarts: the subscriber is told it may have missed messages, then hears new ones.
        server.stop()
        try await waitUntil { !b.isSubscribed }
        try server.start()
        try await waitUntil { b.isSubscribed && a.isSubscribed }
        #expect(await iterator.next() == .gap)
        // The publishing client reconnects after its own pause; until then a publish stays local.
        let deadline = ContinuousClock.now + .seconds(30)
        while (try? await publisher.send(["PING"])) == nil, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        try await a.publish("tasks", Array("again".utf8))
        #expect(await iterator.next() == .message(Array("again".utf8)))
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
