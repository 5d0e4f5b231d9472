/// Salted, slow password hashes in Werkzeug's `method$salt$hash` text format, so hashes a
/// Flask app wrote with `generate_password_hash` verify here and the other way round.
///
/// ```swift
/// let stored = try PasswordHasher().hash("correct horse")   // "scrypt:32768:8:1$…$…"
/// PasswordHasher().verify("correct horse", against: stored)  // true
/// ```
///
/// Hashing is CPU-heavy by design (tens of milliseconds): call it off the event loops
/// (`hashOffLoop`/`verifyOffLoop`) from request handlers.
public struct PasswordHasher: Sendable {
    /// How new hashes are made.
    public enum Method: Sendable, Equatable {
        /// `scrypt:N:r:p` (Werkzeug's default: 32768, 8, 1).
        case scrypt(n: UInt64, r: UInt64, p: UInt64)
        /// `pbkdf2:sha256:iterations` (Werkzeug's default: 600,000).
        case pbkdf2(DigestAlgorithm, iterations: Int)

        /// Werkzeug's default, `scrypt:32768:8:1`.
        public static let `default` = Method.scrypt(n: 32768, r: 8, p: 1)
    }

    /// The method for new hashes.
    public var method: Method
    /// Salt length in characters (Werkzeug: 16).
    public var saltLength: Int

    /// A hasher writing `method` hashes.
    public init(method: Method = .default, saltLength: Int = 16) {
        self.method = method
        self.saltLength = saltLength
    }

    /// A new hash of `password`: `method$salt$hex`.
    public func hash(_ password: String) throws -> String {
        let salt = Self.makeSalt(length: saltLength)
        let (digest, prefix) = try Self.derive(password: password, salt: salt, method: method)
        return "\(prefix)$\(salt)$\(Hex.encode(digest))"
    }

    /// Whether `password` matches `stored` (any supported method); false for malformed hashes.
    /// The comparison is constant-time.
    public func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let method = Self.parse(parts[0]), let expected = Hex.decode(parts[2]),
            let (digest, _) = try? Self.derive(password: password, salt: String(parts[1]), method: method)
        else { return false }
        return LibCrypto.constantTimeEqual(digest, expected)
    }

    /// A hash to verify against when the user does not exist, so a login for an unknown
    /// name costs the same as one for a known name (no timing oracle).
    public func dummyHash() -> String {
        (try? hash("vial-dummy-password")) ?? "scrypt:32768:8:1$x$00"
    }

    /// `scrypt:32768:8:1` / `pbkdf2:sha256:600000` / `pbkdf2:sha256` / `scrypt` → method.
    static func parse(_ text: Substring) -> Method? {
        let fields = text.split(separator: ":").map(String.init)
        switch fields.first {
        case "scrypt":
            if fields.count == 1 { return .default }
            guard fields.count == 4, let n = UInt64(fields[1]), let r = UInt64(fields[2]), let p = UInt64(fields[3])
            else { return nil }
            return .scrypt(n: n, r: r, p: p)
        case "pbkdf2":
            let algorithm = fields.count > 1 ? DigestAlgorithm(rawValue: fields[1]) : .sha256
            let iterations = fields.count > 2 ? Int(fields[2]) : 600_000
            guard let algorithm, let iterations, fields.count <= 3 else { return nil }
            return .pbkdf2(algorithm, iterations: iterations)
        default:
            return nil
        }
    }

    static func derive(password: String, salt: String, method: Method) throws -> ([UInt8], String) {
        switch method {
        case .scrypt(let n, let r, let p):
            // hashlib.scrypt's default length is 64 bytes.
            let digest = try LibCrypto.scrypt(password: password.utf8, salt: salt.utf8, n: n, r: r, p: p, length: 64)
            return (digest, "scrypt:\(n):\(r):\(p)")
        case .pbkdf2(let algorithm, let iterations):
            // hashlib.pbkdf2_hmac's default length is the digest size.
            let digest = try LibCrypto.pbkdf2(
                password: password.utf8, salt: salt.utf8, iterations: iterations, algorithm: algorithm,
                length: algorithm.byteCount)
            return (digest, "pbkdf2:\(algorithm.rawValue):\(iterations)")
        }
    }

    /// Werkzeug's salt alphabet: letters and digits, chosen with the system CSPRNG.
    static func makeSalt(length: Int) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)
        var salt: [UInt8] = []
        while salt.count < length {
            // Rejection sampling keeps the choice uniform (248 = 4 × 62).
            for byte in LibCrypto.randomBytes(length) where byte < 248 && salt.count < length {
                salt.append(alphabet[Int(byte) % alphabet.count])
            }
        }
        return String(decoding: salt, as: UTF8.self)
    }
}

import Vial

extension PasswordHasher {
    /// `hash` through `runBlocking`, so an event loop never spends scrypt's tens of milliseconds.
    public func hashOffLoop(_ password: String) async throws -> String {
        try await runBlocking { try self.hash(password) }
    }

    /// `verify` through `runBlocking`; false also when the thread pool is gone (shutting down).
    public func verifyOffLoop(_ password: String, against stored: String) async -> Bool {
        (try? await runBlocking { self.verify(password, against: stored) }) ?? false
    }
}
