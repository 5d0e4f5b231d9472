import NIOCore
import Testing
@testable import VialMiddleware

@Suite struct StreamingDigestTests {
    @Test(arguments: DigestAlgorithm.allCases)
    func piecesHashLikeTheWhole(algorithm: DigestAlgorithm) {
        let bytes = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        var digest = StreamingDigest(algorithm)
        digest.update(ByteBuffer(bytes: bytes[..<1]))
        digest.update(bytes[1..<50_000])
        digest.update(ByteBuffer(bytes: bytes[50_000...]))
        #expect(digest.finish() == LibCrypto.digest(algorithm, bytes))
        #expect(Hex.encode(StreamingDigest(.sha256).finish()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }
}
