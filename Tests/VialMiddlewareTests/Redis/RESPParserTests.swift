import NIOCore
import Testing
@testable import VialMiddleware

@Suite struct RESPParserTests {
    func parse(_ text: String) throws -> (RESPValue?, Int) {
        var buffer = ByteBuffer(string: text)
        let value = try RESPParser.parse(&buffer)
        return (value, buffer.readableBytes)
    }

    @Test func readsEveryType() throws {
        #expect(try parse("+OK\r\n").0 == .simpleString("OK"))
        #expect(try parse("-ERR wrong\r\n").0 == .error("ERR wrong"))
        #expect(try parse(":-42\r\n").0 == .integer(-42))
        #expect(try parse("$5\r\nhe\r\no\r\n").0 == .bulkString(Array("he\r\no".utf8)))
        #expect(try parse("$0\r\n\r\n").0 == .bulkString([]))
        #expect(try parse("$-1\r\n").0 == .bulkString(nil))
        #expect(try parse("*-1\r\n").0 == .array(nil))
        #expect(try parse("*2\r\n:1\r\n*1\r\n+x\r\n").0 == .array([.integer(1), .array([.simpleString("x")])]))
    }

    /// Replies arrive in pieces: an incomplete one is left in the buffer, untouched.
    @Test func incompleteRepliesWait() throws {
        for partial in ["", "+OK", "+OK\r", "$5\r\nhel", "$5\r\nhello", "*2\r\n:1\r\n", ":12"] {
            let (value, left) = try parse(partial)
            #expect(value == nil, "\(partial)")
            #expect(left == partial.utf8.count)
        }
        // Two replies in one read: the first is taken, the second left.
        #expect(try parse("+A\r\n:2\r\n") == (.simpleString("A"), 4))
    }

    @Test func malformedRepliesThrow() {
        for bad in ["?x\r\n", ":12a\r\n", "$-2\r\n", "$3\r\nabcd\r\n", "*-5\r\n"] {
            #expect(throws: RESPParser.MalformedReply.self, "\(bad)") { _ = try parse(bad) }
        }
        let deep = String(repeating: "*1\r\n", count: 100) + ":1\r\n"
        #expect(throws: RESPParser.MalformedReply.self) { _ = try parse(deep) }
    }

    @Test func commandsAreArraysOfBulkStrings() {
        var buffer = ByteBuffer()
        RESPValue.writeCommand(["SET", "k", "é"], into: &buffer)
        #expect(String(buffer: buffer) == "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\né\r\n")
    }

    @Test func urlsAreReadAsFlaskExtensionsWriteThem() throws {
        let full = try RedisClient.Endpoint(url: "redis://:s%40cret@cache.local:6380/2")
        #expect(full == (try RedisClient.Endpoint(url: "redis://user:s%40cret@cache.local:6380/2")))
        #expect(full.host == "cache.local" && full.port == 6380 && full.password == "s@cret" && full.database == 2)
        let plain = try RedisClient.Endpoint(url: "redis://127.0.0.1")
        #expect(plain.port == 6379 && plain.database == 0 && plain.password == nil)
        #expect(throws: RedisUnavailable.self) { try RedisClient.Endpoint(url: "http://127.0.0.1") }
        #expect(throws: RedisUnavailable.self) { try RedisClient.Endpoint(url: "redis://127.0.0.1/x") }
    }

    @Test func backoffDoublesToFiveSeconds() {
        #expect(RedisClient.backoff(after: 1) == .milliseconds(100))
        #expect(RedisClient.backoff(after: 2) == .milliseconds(200))
        #expect(RedisClient.backoff(after: 4) == .milliseconds(800))
        #expect(RedisClient.backoff(after: 30) == .seconds(5))
    }
}
