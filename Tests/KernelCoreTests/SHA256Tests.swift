import Testing
@testable import KernelCore

@Suite struct SHA256Tests {
    // FIPS 180-4 / NIST CSRC example vectors.
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
    ])
    func knownVectors(_ input: String, _ digest: String) {
        #expect(SHA256.hex(input) == digest)
    }

    @Test func oneMillionA() {
        #expect(SHA256.hex([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func incrementalEqualsOneShotAcrossBlockBoundaries() {
        let data = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        for chunk in [1, 3, 55, 56, 63, 64, 65, 127, 999] {
            var h = SHA256()
            var i = 0
            while i < data.count { h.update(Array(data[i..<min(i + chunk, data.count)])); i += chunk }
            #expect(h.finalize() == SHA256.hash(data), "chunk \(chunk)")
        }
        // Padding edge lengths (55, 56, 64 bytes) differ from each other.
        let digests = Set([55, 56, 63, 64].map { SHA256.hex([UInt8](repeating: 0x61, count: $0)) })
        #expect(digests.count == 4)
    }

    @Test func checksumIgnoresKeyOrder() throws {
        let a = try JSONParser.parse(#"{"b":1,"a":{"y":2,"x":3}}"#)
        let b = try JSONParser.parse(#"{"a":{"x":3,"y":2},"b":1}"#)
        #expect(a.contentChecksum == b.contentChecksum)
        #expect(a.contentChecksum == SHA256.hex(#"{"a":{"x":3,"y":2},"b":1}"#))
        #expect(a.contentChecksum != (try JSONParser.parse(#"{"b":2,"a":{"y":2,"x":3}}"#)).contentChecksum)
    }
}
