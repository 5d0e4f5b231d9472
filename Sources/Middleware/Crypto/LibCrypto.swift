import CLibCrypto

/// SHA-2 digests usable for HMAC, PBKDF2 and JWT's HS256/384/512.
public enum DigestAlgorithm: String, Sendable, CaseIterable {
    case sha256, sha384, sha512

    /// Output size in bytes.
    public var byteCount: Int {
        switch self {
        case .sha256: return 32
        case .sha384: return 48
        case .sha512: return 64
        }
    }

    var evp: OpaquePointer {
        switch self {
        case .sha256: return EVP_sha256()
        case .sha384: return EVP_sha384()
        case .sha512: return EVP_sha512()
        }
    }
}

/// A libcrypto call that failed (it should not, for valid parameters).
public struct CryptoError: Error, CustomStringConvertible, Equatable {
    public let operation: String
    public var description: String { "libcrypto \(operation) failed" }
}

/// Thin, typed wrappers over the system libcrypto. Every function copies its inputs into
/// C buffers and returns fresh bytes; nothing is cached.
public enum LibCrypto {
    /// SHA-2 digest of `data`.
    public static func digest(_ algorithm: DigestAlgorithm, _ data: some Collection<UInt8>) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: algorithm.byteCount)
        var length: UInt32 = 0
        let bytes = Array(data)
        let ok = bytes.withUnsafeBufferPointer { input in
            EVP_Digest(input.baseAddress, input.count, &output, &length, algorithm.evp, nil)
        }
        precondition(ok == 1 && Int(length) == algorithm.byteCount, "EVP_Digest failed")
        return output
    }

    /// HMAC of `data` under `key`.
    public static func hmac(_ algorithm: DigestAlgorithm, key: some Collection<UInt8>, data: some Collection<UInt8>) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: algorithm.byteCount)
        var length: UInt32 = 0
        let keyBytes = Array(key)
        let dataBytes = Array(data)
        let result = keyBytes.withUnsafeBufferPointer { keyPointer in
            dataBytes.withUnsafeBufferPointer { dataPointer in
                // A zero-length key still needs a non-null pointer.
                HMAC(
                    algorithm.evp, keyPointer.baseAddress ?? UnsafePointer(bitPattern: 1), Int32(keyPointer.count),
                    dataPointer.baseAddress, dataPointer.count, &output, &length)
            }
        }
        precondition(result != nil && Int(length) == algorithm.byteCount, "HMAC failed")
        return output
    }

    /// PBKDF2-HMAC with `algorithm`, as Python's `hashlib.pbkdf2_hmac`.
    public static func pbkdf2(
        password: some Collection<UInt8>, salt: some Collection<UInt8>, iterations: Int, algorithm: DigestAlgorithm,
        length: Int
    ) throws -> [UInt8] {
        guard iterations > 0, iterations <= Int(Int32.max), length > 0 else { throw CryptoError(operation: "PBKDF2") }
        var output = [UInt8](repeating: 0, count: length)
        let passwordBytes = Array(password).map { CChar(bitPattern: $0) }
        let saltBytes = Array(salt)
        let ok = passwordBytes.withUnsafeBufferPointer { passwordPointer in
            saltBytes.withUnsafeBufferPointer { saltPointer in
                PKCS5_PBKDF2_HMAC(
                    passwordPointer.baseAddress, Int32(passwordPointer.count), saltPointer.baseAddress,
                    Int32(saltPointer.count), Int32(iterations), algorithm.evp, Int32(length), &output)
            }
        }
        guard ok == 1 else { throw CryptoError(operation: "PBKDF2") }
        return output
    }

    /// scrypt, as Python's `hashlib.scrypt` (memory limit raised to fit `n`, `r`, `p`).
    public static func scrypt(
        password: some Collection<UInt8>, salt: some Collection<UInt8>, n: UInt64, r: UInt64, p: UInt64, length: Int
    ) throws -> [UInt8] {
        guard n > 1, n & (n - 1) == 0, r > 0, p > 0, length > 0, n <= 1 << 20, r * p < 1 << 30 else {
            throw CryptoError(operation: "scrypt (parameters out of range)")
        }
        var output = [UInt8](repeating: 0, count: length)
        let passwordBytes = Array(password).map { CChar(bitPattern: $0) }
        let saltBytes = Array(salt)
        let maxMemory = 132 * n * r * p  // what Werkzeug passes: 128·N·r·p plus headroom
        let ok = passwordBytes.withUnsafeBufferPointer { passwordPointer in
            saltBytes.withUnsafeBufferPointer { saltPointer in
                EVP_PBE_scrypt(
                    passwordPointer.baseAddress, passwordPointer.count, saltPointer.baseAddress, saltPointer.count, n,
                    r, p, maxMemory, &output, length)
            }
        }
        guard ok == 1 else { throw CryptoError(operation: "scrypt") }
        return output
    }

    /// `count` bytes from the system's cryptographically secure generator.
    public static func randomBytes(_ count: Int) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: count)
        let ok = RAND_bytes(&output, Int32(count))
        precondition(ok == 1, "RAND_bytes failed")
        return output
    }

    /// Compares in time that depends only on the length, never on where the bytes differ.
    public static func constantTimeEqual(_ lhs: some Collection<UInt8>, _ rhs: some Collection<UInt8>) -> Bool {
        let left = Array(lhs)
        let right = Array(rhs)
        guard left.count == right.count else { return false }
        if left.isEmpty { return true }
        return left.withUnsafeBytes { l in
            right.withUnsafeBytes { r in CRYPTO_memcmp(l.baseAddress, r.baseAddress, l.count) == 0 }
        }
    }
}

/// Lower-case hexadecimal text of bytes, and back.
public enum Hex {
    /// `[0xde, 0xad]` → `"dead"`.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `"dead"` → `[0xde, 0xad]`; `nil` for odd length or a non-hex digit.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = value(utf8[index]), let low = value(utf8[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    private static func value(_ digit: UInt8) -> UInt8? {
        switch digit {
        case 48...57: return digit - 48
        case 97...102: return digit - 87
        case 65...70: return digit - 55
        default: return nil
        }
    }
}
