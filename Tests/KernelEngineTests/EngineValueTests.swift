import Glibc
import KernelCore
import KernelLoop
import KernelStore
import Testing
@testable import KernelEngine

/// Large values by reference in the engine (issue 16), with in-process executors and a file
/// blob store: stored once, rows and events carry the reference, paths reach into it, the
/// hard limit fails the step naming itself, references in inputs are resolved into a file.
@Suite(.serialized) @KernelActor struct EngineValueTests {
    static func spool(limit: Int64 = ValueLimits.defaultMaxResultBytes) -> (String) throws -> ValueSpool {
        { home in ValueSpool(blobs: try FileBlobStore(root: home + "/blobs"), maxResultBytes: limit) }
    }

    static let big = String(repeating: "y", count: 300_000)

    @Test func largeResultIsStoredOnceAndPathsReachIntoIt() async throws {
        let h = try await EngineHarness(values: Self.spool())
        h.store.addComponent("big", .utility, ["operation": "big"])
        h.store.addComponent("template", .utility, ["operation": "template", "template": "got ${inputs.v}"])
        h.store.addWorkflow("big", ["steps": [
            ["id": "a", "component": "big", "inputs": ["n": 300_000]],
            ["id": "b", "component": "template", "needs": ["a"], "inputs": ["v": "${steps.a.result.items[1]}"]],
        ], "outputs": ["picked": "${steps.b.result.text}", "whole": "${steps.a.result}"]])
        let snap = try await h.runToEnd("big")
        #expect(snap["status"] == "succeeded", "\(snap)")
        let row = try #require(snap.step("a")?["result"])
        let ref = try #require(BlobReference(row), "\(row.serialized().prefix(200))")
        let value: JSON = ["big": .string(Self.big), "items": [1, 2, 3]]
        #expect(ref.size == Int64(value.serializedBytes().count))
        // Stored once, as the value's JSON text.
        let path = h.home + "/blobs/sha256/\(ref.digest.prefix(2))/\(ref.digest)"
        #expect((try? WholeFile.bytes(path, limit: 1 << 20)) == value.serializedBytes())
        #expect(snap.step("b")?["result"] == ["text": "got 2"])
        // Rows, the result event and the end event carry the reference, not the value.
        #expect(snap["outputs"] == ["picked": "got 2", "whole": row])
        let events = h.events(snap["id"]?.stringValue ?? "")
        #expect(events.first { $0.type == .result && $0.stepID == "a" }?.payload["value"] == row)
        for e in events { #expect(e.payload.serializedBytes().count < 4096, "\(e.type) carries \(e.payload.serializedBytes().count) bytes") }
    }

    @Test func resultOverTheHardLimitFailsNamingIt() async throws {
        let h = try await EngineHarness(values: Self.spool(limit: 100_000))
        h.store.addComponent("big", .utility, ["operation": "big"])
        h.store.addWorkflow("over", ["steps": [["id": "a", "component": "big", "inputs": ["n": 300_000]]]])
        let snap = try await h.runToEnd("over")
        #expect(snap["status"] == "failed")
        #expect(snap.step("a")?["error"]?.stringValue?.hasPrefix("result too large: 292.9 KiB > limit 97.6 KiB") == true, "\(snap)")
        #expect(snap.step("a")?["result"] == .null)
    }

    @Test func componentLimitOverridesTheKernels() async throws {
        let h = try await EngineHarness(values: Self.spool())
        h.store.addComponent("big", .utility, ["operation": "big", "maxResultBytes": 200_000])
        h.store.addWorkflow("over", ["steps": [["id": "a", "component": "big", "inputs": ["n": 300_000]]]])
        let snap = try await h.runToEnd("over")
        #expect(snap.step("a")?["error"]?.stringValue?.hasPrefix("result too large: 292.9 KiB > limit 195.3 KiB") == true, "\(snap)")
    }

    /// The file dependants read: every reference replaced by its stored text, byte for byte
    /// what serialising the materialised value gives.
    @Test func inputsFileSplicesStoredValues() async throws {
        let home = EngineHarness.makeTemp()
        let values = try Self.spool()(home)
        defer { values.close() }
        let inner: JSON = ["k": .string(Self.big), "n": [1, 2.5, "é\"\n"]]
        let ref = try await values.spool(inner)
        #expect(BlobReference(ref) != nil)
        let inputs: JSON = ["a": ref, "b": [ref, 3, ["c": ref]], "d": "plain"]
        let path = home + "/inputs.json"
        try await values.writeResolved(inputs, to: path)
        let expected: JSON = ["a": inner, "b": [inner, 3, ["c": inner]], "d": "plain"]
        let written = try WholeFile.bytes(path, limit: 4 << 20)
        #expect(try JSONParser.parse(written) == expected)
        #expect(written == expected.serializedBytes())
        #expect(try await values.materialize(inputs) == expected)
    }
}
