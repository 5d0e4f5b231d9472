/// A key for typed per-request storage, Vapor-style.
///
/// ```swift
/// enum IdentityKey: StorageKey { typealias Value = String }
/// request.storage[IdentityKey.self] = "42"
/// ```
public protocol StorageKey {
    /// The type stored under this key.
    associatedtype Value: Sendable
}

/// Typed values that middleware leaves on a request for the handler
/// (the authenticated identity, claims, a rate-limit verdict …).
public struct Storage: Sendable {
    private var values: [ObjectIdentifier: any Sendable] = [:]

    /// An empty storage.
    public init() {}

    /// The value stored under `key`, if any.
    public subscript<Key: StorageKey>(key: Key.Type) -> Key.Value? {
        get { values[ObjectIdentifier(key)] as? Key.Value }
        set { values[ObjectIdentifier(key)] = newValue }
    }

    /// Whether nothing is stored (checked before a lookup on paths every request takes).
    var isEmpty: Bool { values.isEmpty }

    /// Whether a value is stored under `key`.
    public func contains<Key: StorageKey>(_ key: Key.Type) -> Bool {
        values[ObjectIdentifier(key)] != nil
    }
}
