import KernelCore
import KernelLoop
import KernelStore
import Testing
@testable import KernelEngine

/// Config fields a type's schema marks `x-mcpk-template` reach the executor plugin with their
/// `${inputs…}` references resolved by the engine (issue 13): one reference language, in Swift.
@Suite @KernelActor struct TemplateFieldTests {
    @Test func templateFieldsAreResolvedAgainstTheStepInputs() async throws {
        let config: JSON = ["type": "Utility", "operation": "template", "template": "hi ${inputs.user.name}, $${literal}",
                            "args": ["${inputs.n}", "n=${inputs.n}"], "keys": "${inputs.untouched}"]
        let inputs: JSON = ["user": ["name": "Ada"], "n": 7]
        let out = try await TemplateFields.resolve(config, fields: ["template", "args"], inputs: inputs, load: nil).get()
        #expect(out["template"] == "hi Ada, ${literal}")
        #expect(out["args"] == [7, "n=7"])
        #expect(out["keys"] == "${inputs.untouched}")  // not a template field: left alone
        let bad = await TemplateFields.resolve(config, fields: ["template"], inputs: ["user": [:]], load: nil)
        guard case .failure(let f) = bad else { Issue.record("a missing input resolved"); return }
        #expect(f.message.hasPrefix("config.template: "), "\(f.message)")
    }

    /// An input stored by reference (a large value, `BlobReference`): the template sees the value
    /// from the blob store, not the reference's JSON; above the limit the step fails naming it.
    @Test func aTemplateReadsStoredValuesUpToTheLimit() async throws {
        let home = EngineHarness.makeTemp()
        let values = ValueSpool(blobs: try FileBlobStore(root: home + "/blobs"))
        defer { values.close() }
        let doc: JSON = ["title": "T", "body": .string(String(repeating: "b", count: 300_000))]
        let ref = try await values.spool(doc)
        #expect(BlobReference(ref) != nil)
        let inputs: JSON = ["doc": ref, "nested": ["inner": ref], "unused": ref, "n": 1]
        let load: TemplateFields.Loader = { r in try await values.load(r.digest) }
        let config: JSON = ["type": "Utility", "template": "${inputs.doc.title}: ${inputs.doc.body}", "args": ["${inputs.nested}", "${inputs.n}"]]

        let out = try await TemplateFields.resolve(config, fields: ["template", "args"], inputs: inputs, load: load).get()
        #expect(out["template"] == .string("T: " + String(repeating: "b", count: 300_000)))
        #expect(out["args"] == [["inner": doc], 1])
        #expect(!out.containsBlobReference)

        // Above the limit: the step fails, naming the limit and the size (an unreferenced input does not count).
        let small = await TemplateFields.resolve(config, fields: ["template"], inputs: inputs, limit: 100_000, load: load)
        guard case .failure(let f) = small else { Issue.record("a stored value above the limit was rendered"); return }
        #expect(f.message == "config.template: ${inputs.doc} is a stored value of 292.9 KiB, more than a template field loads "
                + "(limit 97.6 KiB, ValueLimits.maxTemplateValueBytes)", "\(f.message)")
        let plain = await TemplateFields.resolve(["template": "${inputs.n}"], fields: ["template"], inputs: inputs, limit: 1, load: load)
        #expect((try? plain.get())?["template"] == 1)
        // No blob store: a clear failure, never the reference's JSON.
        guard case .failure(let none) = await TemplateFields.resolve(config, fields: ["template"], inputs: inputs, load: nil) else {
            Issue.record("rendered without a blob store"); return
        }
        #expect(none.message.contains("no blob store"), "\(none.message)")
    }
}
