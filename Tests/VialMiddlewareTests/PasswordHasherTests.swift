import Testing
@testable import VialMiddleware

@Suite struct PasswordHasherTests {
    /// Made with Werkzeug 3.1.8: `generate_password_hash(password, method=…)`.
    static let werkzeugVectors: [(String, String)] = [
        ("password", "scrypt:32768:8:1$JNGOBy9Vf2KJEXc1$72a808337cea05e5e34d6e0d9c67ca5550ba37038f01568dfe5ef9ec847c0f8b7a95bea3b24cad826962e4c0620899bf96fafbbe9767ffd16854755fca030e23"),
        ("correct horse battery staple", "scrypt:32768:8:1$XO14cfE5DRRUn3sW$c6783e9bcbeadac8148811177501167dedf1003b5c15a0dd3bfb91dda63963f47331892bd7b6c3c80baf9b178428410f8e452c2282e7d613f68c5e73c3e4a07f"),
        ("pässwörd ✓", "scrypt:32768:8:1$uMlAwJzA9jJzsau2$5354405a235e76100976c8b604b416751eae9fdfca5f94392ee4926329ea287957cb085b5c994fffcf82e7bc0bd2278de2779d5e9eabb2622b6cdda49e1f8c87"),
        ("password", "pbkdf2:sha256:600000$tmQVmiKAJSzTU6dI$e7b4f3dd24f879644b33ae7f1acbbd60cee891d2675bfe9289eb73aac7508f21"),
        ("password", "pbkdf2:sha256:1000$4b7YtWUYBWnzs1bw$71d4105a94703159833ece6da26de17860cb0a3a6858feaa9750cdaaefd31fe7"),
        ("s3cr3t", "pbkdf2:sha512:2000$OP0pOlSwvvzQMNAW$ba22623ce90a8063dd2d006a0c34c430f1e5a9af267fb19a03fd4029c992707b987da9f1df098912a08db1312ed077c4619f0079225c156e053bc971264fccda"),
        ("password", "scrypt:16384:8:1$WM6aVAz0tyiykhsy$776cc3e2f9bab61b41995e6cf80226e90fd559e6510c618df4211cf779649ac40a640df6459911203302307669670235ebbf96d8af2c6c75de59c3f89c2b1280"),
    ]

    @Test func werkzeugHashesVerify() {
        let hasher = PasswordHasher()
        for (password, stored) in Self.werkzeugVectors {
            #expect(hasher.verify(password, against: stored), "\(stored.prefix(20))")
            #expect(!hasher.verify(password + "x", against: stored), "\(stored.prefix(20))")
        }
    }

    @Test func newHashesUseWerkzeugsScryptFormatAndVerify() throws {
        let hasher = PasswordHasher()
        let stored = try hasher.hash("hunter22")
        let parts = stored.split(separator: "$")
        #expect(parts.count == 3)
        #expect(parts[0] == "scrypt:32768:8:1")
        #expect(parts[1].count == 16)
        #expect(parts[2].count == 128)
        #expect(hasher.verify("hunter22", against: stored))
        #expect(!hasher.verify("hunter23", against: stored))
        #expect(try hasher.hash("hunter22") != stored)  // fresh salt every time
    }

    @Test func pbkdf2HashesRoundTrip() throws {
        let hasher = PasswordHasher(method: .pbkdf2(.sha256, iterations: 1000))
        let stored = try hasher.hash("pw")
        #expect(stored.hasPrefix("pbkdf2:sha256:1000$"))
        #expect(PasswordHasher().verify("pw", against: stored))
    }

    @Test func malformedHashesNeverVerify() {
        let hasher = PasswordHasher()
        for stored in ["", "plain", "md5$salt$abcd", "scrypt:3:8:1$salt$00", "pbkdf2:sha1:10$s$00", "scrypt$salt$zz", "a$b"] {
            #expect(!hasher.verify("password", against: stored), "\(stored)")
        }
    }

    @Test func dummyHashIsAValidHashThatRejects() {
        let hasher = PasswordHasher()
        let dummy = hasher.dummyHash()
        #expect(dummy.hasPrefix("scrypt:32768:8:1$"))
        #expect(!hasher.verify("password", against: dummy))
    }

    @Test func saltsUseTheWerkzeugAlphabet() {
        let salt = PasswordHasher.makeSalt(length: 64)
        #expect(salt.count == 64)
        #expect(salt.allSatisfy { $0.isLetter || $0.isNumber })
    }
}

@Suite struct LibCryptoTests {
    @Test func hmacMatchesRFC4231() {
        // RFC 4231 test case 2.
        let mac = LibCrypto.hmac(.sha256, key: Array("Jefe".utf8), data: Array("what do ya want for nothing?".utf8))
        #expect(Hex.encode(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        let mac512 = LibCrypto.hmac(.sha512, key: Array("Jefe".utf8), data: Array("what do ya want for nothing?".utf8))
        #expect(Hex.encode(mac512).hasPrefix("164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"))
    }

    @Test func sha256OfABC() {
        #expect(Hex.encode(LibCrypto.digest(.sha256, Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func constantTimeEqualComparesWholeValues() {
        #expect(LibCrypto.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!LibCrypto.constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!LibCrypto.constantTimeEqual([1, 2, 3], [1, 2]))
    }

    @Test func randomBytesDiffer() {
        #expect(LibCrypto.randomBytes(32) != LibCrypto.randomBytes(32))
    }

    @Test func hexRoundTrips() {
        #expect(Hex.decode("00ff10") == [0, 255, 16])
        #expect(Hex.decode("0") == nil)
        #expect(Hex.decode("zz") == nil)
    }
}

@Suite struct Base64URLTests {
    @Test func matchesRFC4648Vectors() {
        let vectors = ["": "", "f": "Zg", "fo": "Zm8", "foo": "Zm9v", "foob": "Zm9vYg", "fooba": "Zm9vYmE", "foobar": "Zm9vYmFy"]
        for (plain, encoded) in vectors {
            #expect(Base64URL.encode(Array(plain.utf8)) == encoded)
            #expect(Base64URL.decode(encoded) == Array(plain.utf8))
        }
        #expect(Base64URL.encode([0xFB, 0xFF]) == "-_8")
        #expect(Base64URL.decode("-_8") == [0xFB, 0xFF])
    }

    @Test func refusesPaddingForeignCharactersAndSloppyBits() {
        for text in ["Zg==", "Zm9v+", "Zm9v/", "Z", "Zh", "a b"] { #expect(Base64URL.decode(text) == nil, "\(text)") }
    }
}
