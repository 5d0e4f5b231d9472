/// Base64url without padding (RFC 7515 §2), as JWS uses it. Hand-written over bytes: it runs
/// twice per authenticated request, where Foundation's string round trips showed in profiles.
public enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(index) }
        return table
    }()

    /// Bytes → base64url text, no padding.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        let input = Array(bytes)
        var out: [UInt8] = []
        out.reserveCapacity((input.count * 4 + 2) / 3)
        var index = 0
        while index + 3 <= input.count {
            let chunk = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
            for shift in [18, 12, 6, 0] { out.append(alphabet[Int((chunk >> UInt32(shift)) & 63)]) }
            index += 3
        }
        let rest = input.count - index
        if rest == 1 {
            let chunk = UInt32(input[index]) << 16
            out.append(alphabet[Int((chunk >> 18) & 63)])
            out.append(alphabet[Int((chunk >> 12) & 63)])
        } else if rest == 2 {
            let chunk = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8
            out.append(alphabet[Int((chunk >> 18) & 63)])
            out.append(alphabet[Int((chunk >> 12) & 63)])
            out.append(alphabet[Int((chunk >> 6) & 63)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Base64url text → bytes; `nil` for characters outside the alphabet, padding, impossible
    /// lengths or non-zero trailing bits (so each token has exactly one spelling).
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        decode(bytes: text.utf8)
    }

    /// Base64url bytes (ASCII) → decoded bytes; see `decode(_:)`.
    public static func decode(bytes input: some Collection<UInt8>) -> [UInt8]? {
        guard input.count % 4 != 1 else { return nil }
        // Over contiguous bytes with the table at hand: a token is decoded on every request, and
        // the generic loop cost about 50 instructions a character (Benchmarks/instructions.py).
        if let decoded = input.withContiguousStorageIfAvailable(decode(contiguous:)) { return decoded }
        return Array(input).withUnsafeBufferPointer(decode(contiguous:))
    }

    private static func decode(contiguous input: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        values.withUnsafeBufferPointer { table in
            var valid = true
            let out = [UInt8](unsafeUninitializedCapacity: input.count * 3 / 4) { out, count in
                var buffer: UInt32 = 0
                var bits: UInt32 = 0
                for byte in input {
                    let value = table[Int(byte)]
                    guard value != 0xFF else {
                        valid = false
                        return
                    }
                    buffer = buffer << 6 | UInt32(value)
                    bits += 6
                    if bits >= 8 {
                        bits -= 8
                        out[count] = UInt8(truncatingIfNeeded: buffer >> bits)
                        count += 1
                    }
                }
                // Non-zero trailing bits: not the one spelling of these bytes.
                valid = buffer & ((1 << bits) - 1) == 0
            }
            return valid ? out : nil
        }
    }
}
