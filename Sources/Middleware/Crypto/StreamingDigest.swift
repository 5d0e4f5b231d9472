import CLibCrypto
import NIOCore
import Vial

/// A SHA-2 digest fed piece by piece (libcrypto's `EVP_DigestUpdate`): hashing an upload as it
/// streams in, without holding it.
///
/// ```swift
/// var sha = StreamingDigest(.sha256)
/// for try await chunk in req.bodyStream { sha.update(chunk) }
/// let hex = Hex.encode(sha.finish())
/// ```
public struct StreamingDigest: ~Copyable {
    private let context: OpaquePointer
    public let algorithm: DigestAlgorithm

    public init(_ algorithm: DigestAlgorithm) {
        self.algorithm = algorithm
        guard let context = EVP_MD_CTX_new(), EVP_DigestInit_ex(context, algorithm.evp, nil) == 1 else {
            preconditionFailure("EVP_DigestInit_ex failed")
        }
        self.context = context
    }

    /// Adds `bytes`.
    public mutating func update(_ bytes: ByteBuffer) {
        bytes.withUnsafeReadableBytes { raw in
            precondition(EVP_DigestUpdate(context, raw.baseAddress, raw.count) == 1, "EVP_DigestUpdate failed")
        }
    }

    /// Adds `bytes`.
    public mutating func update(_ bytes: some Collection<UInt8>) {
        let copy = Array(bytes)
        copy.withUnsafeBytes { raw in
            precondition(EVP_DigestUpdate(context, raw.baseAddress, raw.count) == 1, "EVP_DigestUpdate failed")
        }
    }

    /// The digest of everything added.
    public consuming func finish() -> [UInt8] {
        var output = [UInt8](repeating: 0, count: algorithm.byteCount)
        var length: UInt32 = 0
        precondition(EVP_DigestFinal_ex(context, &output, &length) == 1, "EVP_DigestFinal_ex failed")
        return output
    }

    deinit { EVP_MD_CTX_free(context) }
}
