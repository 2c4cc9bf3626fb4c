import Testing
@testable import KernelCore

/// The reference form large values travel in, and the sizes in limit messages.
struct BlobReferenceTests {
    static let digest = String(repeating: "ab", count: 32)

    @Test func roundTripsAndRejectsLookalikes() {
        let r = BlobReference(digest: Self.digest, size: 10, preview: "\"xyz")
        #expect(BlobReference(r.json) == r)
        #expect(r.json["$ref"] == .string("blob:sha256:" + Self.digest))
        // Not references: another scheme, a short digest, an extra key, a JSON Schema $ref.
        #expect(BlobReference(["$ref": "blob:md5:abc", "size": 1, "preview": ""]) == nil)
        #expect(BlobReference(["$ref": "blob:sha256:abc", "size": 1, "preview": ""]) == nil)
        #expect(BlobReference(["$ref": .string("blob:sha256:" + Self.digest), "size": 1, "preview": "", "x": 1]) == nil)
        #expect(BlobReference(["$ref": "#/definitions/a"]) == nil)
        #expect(JSON.array([["a": r.json]]).containsBlobReference)
        #expect(!JSON.array([["a": 1]]).containsBlobReference)
    }

    @Test func previewIsBoundedAndNeverSplitsACharacter() {
        let text = Array(("\"" + String(repeating: "é", count: 600) + "\"").utf8)
        let r = BlobReference(digest: Self.digest, size: Int64(text.count), prefix: text)
        #expect(r.preview.hasSuffix("…"))
        #expect(r.preview.utf8.count <= ValueLimits.previewBytes + "…".utf8.count)
        #expect(!r.preview.unicodeScalars.contains("\u{FFFD}"))
        let small = BlobReference(digest: Self.digest, size: 5, prefix: Array("[1,2]".utf8))
        #expect(small.preview == "[1,2]")
    }

    @Test func sizesInLimitMessages() {
        #expect(BlobReference.describe(bytes: 1_288_490_189) == "1.2 GiB")
        #expect(BlobReference.describe(bytes: 1 << 30) == "1 GiB")
        #expect(BlobReference.describe(bytes: 20 << 20 + 2) == "20 MiB")
        #expect(BlobReference.describe(bytes: 300_000) == "292.9 KiB")
        #expect(BlobReference.describe(bytes: 12) == "12 bytes")
        #expect(BlobReference.describe(bytes: .max) == "8589934591.9 GiB")
    }

    @Test func sizeEstimateDecidesWithoutSerialising() {
        let big = JSON.string(String(repeating: "x", count: 1000))
        #expect(big.serializedSizeExceeds(999))
        #expect(!big.serializedSizeExceeds(1002))
        #expect(JSON.array(Array(repeating: big, count: 10)).serializedSizeExceeds(9000))
        #expect(!JSON.object(JSONObject([("a", 1)])).serializedSizeExceeds(100))
    }

    @Test func pathIntoAReferenceAsksForItsBlob() throws {
        let ref = BlobReference(digest: Self.digest, size: 100, preview: "{").json
        var ctx = ReferenceContext(inputs: [:], steps: ["a": .init(status: .succeeded, result: ref)])
        let r = try Reference.parse("steps.a.result.items[1]")
        do {
            _ = try r.resolve(in: ctx)
            Issue.record("resolved a path into a blob that is not loaded")
        } catch let e as ExpressionError {
            #expect(e.blob == Self.digest)
        }
        let text = try Template.parse("n=${steps.a.result}")
        #expect(throws: ExpressionError.self) { try text.resolve(in: ctx) }
        ctx.blobs[Self.digest] = ["items": [1, 2]]
        #expect(try r.resolve(in: ctx) == 2)
        // The whole result stays a reference: dependants get the value in their inputs.json.
        #expect(try Reference.parse("steps.a.result").resolve(in: ctx) == ref)
        #expect(try text.resolve(in: ctx) == .string(#"n={"items":[1,2]}"#))
    }
}
