import Vial
import Foundation
import NIOConcurrencyHelpers

/// Where cached bytes live (Flask-Caching's backends). Values are bytes so that a Redis
/// backend can hold the same things.
public protocol CacheBackend: Sendable {
    /// The value and its remaining lifetime in seconds, if present and fresh.
    func get(_ key: String) async throws -> (value: [UInt8], ttl: Double)?
    /// Stores `value` for `timeout` seconds with invalidation `tags`.
    func set(_ key: String, _ value: [UInt8], timeout: Double, tags: Set<String>) async throws
    /// `set`, for an entry that belongs to `owner` (a cached view's identity): a backend that
    /// bounds each owner's share evicts that owner's entries first. The default ignores `owner`.
    func set(_ key: String, _ value: [UInt8], timeout: Double, tags: Set<String>, owner: String?) async throws
    func delete(_ key: String) async throws
    /// Deletes every entry carrying `tag`.
    func delete(tag: String) async throws
    /// Deletes every entry carrying any of `tags`: in one go where the backend can (one round
    /// trip to Redis). The default deletes them one after the other.
    func delete(tags: Set<String>) async throws
    /// Deletes every entry whose key starts with `prefix`.
    func delete(prefix: String) async throws
    func clear() async throws
}

extension CacheBackend {
    public func delete(tags: Set<String>) async throws {
        for tag in tags.sorted() { try await delete(tag: tag) }
    }

    public func set(_ key: String, _ value: [UInt8], timeout: Double, tags: Set<String>, owner: String?) async throws {
        try await set(key, value, timeout: timeout, tags: tags)
    }
}

/// `NullCache`: stores nothing (caching off, every request a miss).
public struct NullCache: CacheBackend {
    public init() {}
    public func get(_ key: String) async throws -> (value: [UInt8], ttl: Double)? { nil }
    public func set(_ key: String, _ value: [UInt8], timeout: Double, tags: Set<String>) async throws {}
    public func delete(_ key: String) async throws {}
    public func delete(tag: String) async throws {}
    public func delete(prefix: String) async throws {}
    public func clear() async throws {}
}

/// `SimpleCache`: in memory, with expiry, bounded by entry count and by bytes; the least
/// recently used entries go first when a bound is reached. An owner (a cached view's identity)
/// holds at most `maxEntriesPerOwner` entries: past that its own least recently used entry goes,
/// so one client's junk requests cannot push out everyone else's. One lock; eviction scans the
/// entries (as Flask-Caching's SimpleCache pruning does), fine at its default size; deleting a
/// tag finds its entries through an index.
public final class SimpleCache: CacheBackend {
    private struct Entry {
        var value: [UInt8]
        var expiresAt: Double
        var tags: Set<String>
        var lastUsed: UInt64
        var owner: String?
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var bytes = 0
        var tick: UInt64 = 0
        /// Entries held per owner.
        var owned: [String: Int] = [:]
        /// The keys of the entries carrying each tag, so deleting a tag (every task write does)
        /// touches its entries only, not every entry.
        var tagged: [String: Set<String>] = [:]
    }

    private let state = NIOLockedValueBox(State())
    public let maxEntries: Int
    public let maxBytes: Int
    /// Entries one owner holds at most (by default a tenth of `maxEntries`, at least 1).
    public let maxEntriesPerOwner: Int
    private let clock: any WallClock

    public init(
        maxEntries: Int = 500, maxBytes: Int = 64 << 20, maxEntriesPerOwner: Int? = nil, clock: any WallClock = SystemClock()
    ) {
        self.maxEntries = maxEntries
        self.maxBytes = maxBytes
        self.maxEntriesPerOwner = maxEntriesPerOwner ?? max(1, maxEntries / 10)
        self.clock = clock
    }

    /// Entries and bytes held (for tests of the bounds).
    public var usage: (entries: Int, bytes: Int) { state.withLockedValue { ($0.entries.count, $0.bytes) } }

    public func get(_ key: String) async throws -> (value: [UInt8], ttl: Double)? {
        let now = clock.now
        return state.withLockedValue { state in
            guard var entry = state.entries[key] else { return nil }
            guard entry.expiresAt > now else {
                Self.remove(key, from: &state)
                return nil
            }
            state.tick += 1
            entry.lastUsed = state.tick
            state.entries[key] = entry
            return (entry.value, entry.expiresAt - now)
        }
    }

    public func set(_ key: String, _ value: [UInt8], timeout: Double, tags: Set<String>) async throws {
        try await set(key, value, timeout: timeout, tags: tags, owner: nil)
    }

    public func set(_ key: String, _ value: [UInt8], timeout: Double, tags: Set<String>, owner: String?) async throws {
        let now = clock.now
        state.withLockedValue { state in
            Self.remove(key, from: &state)
            guard value.count <= maxBytes, timeout > 0 else { return }
            if let owner, state.owned[owner, default: 0] >= maxEntriesPerOwner {
                // The owner's share is full: its own least recently used entry makes room.
                let oldest = state.entries.filter { $0.value.owner == owner }.min { $0.value.lastUsed < $1.value.lastUsed }
                if let oldest { Self.remove(oldest.key, from: &state) }
            }
            state.tick += 1
            state.entries[key] = Entry(value: value, expiresAt: now + timeout, tags: tags, lastUsed: state.tick, owner: owner)
            state.bytes += value.count
            if let owner { state.owned[owner, default: 0] += 1 }
            for tag in tags { state.tagged[tag, default: []].insert(key) }
            if state.entries.count > maxEntries || state.bytes > maxBytes {
                // Expired entries go first, then the least recently used.
                for (expired, entry) in state.entries where entry.expiresAt <= now { Self.remove(expired, from: &state) }
                let byAge = state.entries.sorted { $0.value.lastUsed < $1.value.lastUsed }.map(\.key)
                var index = 0
                while (state.entries.count > maxEntries || state.bytes > maxBytes) && index < byAge.count {
                    if byAge[index] != key { Self.remove(byAge[index], from: &state) }
                    index += 1
                }
            }
        }
    }

    public func delete(_ key: String) async throws {
        state.withLockedValue { Self.remove(key, from: &$0) }
    }

    public func delete(tag: String) async throws {
        try await delete(tags: [tag])
    }

    public func delete(tags: Set<String>) async throws {
        state.withLockedValue { state in
            for tag in tags {
                for key in state.tagged[tag] ?? [] { Self.remove(key, from: &state) }
            }
        }
    }

    public func delete(prefix: String) async throws {
        state.withLockedValue { state in
            for key in state.entries.keys where key.hasPrefix(prefix) { Self.remove(key, from: &state) }
        }
    }

    public func clear() async throws {
        state.withLockedValue { $0 = State() }
    }

    private static func remove(_ key: String, from state: inout State) {
        guard let old = state.entries.removeValue(forKey: key) else { return }
        state.bytes -= old.value.count
        for tag in old.tags {
            state.tagged[tag]?.remove(key)
            if state.tagged[tag]?.isEmpty == true { state.tagged[tag] = nil }
        }
        if let owner = old.owner {
            let left = state.owned[owner, default: 1] - 1
            state.owned[owner] = left > 0 ? left : nil
        }
    }
}
