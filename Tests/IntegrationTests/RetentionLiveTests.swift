import Foundation
import Glibc
import KernelClient
import KernelCore
import Testing

/// Issue 16, retention, through a real `mcpk serve` on SQLite and PostgreSQL: `kernel.gc`
/// (and `mcpk gc`) delete exactly the old finished, unpinned runs with their step rows, events
/// and now-unreferenced blobs — never a pinned run, never what a running run needs.
@Suite(.serialized) struct RetentionLiveTests {
    typealias Fixture = EngineLiveTests.Fixture

    static let producer = """
    def main(mib, tag, **rest):
        return tag * (int(mib) * 1024 * 1024 // len(tag))
    """

    static func step(_ s: JSON, _ id: String) -> JSON? { s["steps"]?.arrayValue?.first { $0["id"]?.stringValue == id } }

    static func digest(_ s: JSON, _ step: String) -> String? {
        Self.step(s, step)?["result"].flatMap(BlobReference.init)?.digest
    }

    @Test(arguments: LiveBackend.enabled) func gcDeletesExactlyOldUnpinnedFinishedRuns(_ backend: LiveBackend) throws {
        guard ProcessExecutorLiveTests.hasRuntime else { return }
        var env = try backend.environment()
        env["MCPK_RETENTION"] = "runs=2s,blobs=0s"
        let f = try Fixture(env: env)
        try f.python("producer", Self.producer)
        try f.python("sleepy", "import time\ndef main(**rest):\n    time.sleep(120)\n    return 1\n")
        try f.python("small", "def main(**rest):\n    return 1\n")
        try f.workflow("keep", ["steps": [["id": "p", "component": "producer", "inputs": ["mib": 1, "tag": "${inputs.tag}"]]]])
        try f.workflow("small", ["steps": [["id": "s", "component": "small"]]])
        try f.workflow("live", ["steps": [
            ["id": "p", "component": "producer", "inputs": ["mib": 1, "tag": "live"]],
            ["id": "s", "component": "sleepy", "needs": ["p"]],
        ]])
        let a = try f.wait(try f.run("keep", ["tag": "pinned"]), timeout: 120)
        let b = try f.wait(try f.run("keep", ["tag": "doomed"]), timeout: 120)
        let c = try f.wait(try f.run("small"), timeout: 120)
        let (aID, bID, cID) = (a["id"]?.stringValue ?? "", b["id"]?.stringValue ?? "", c["id"]?.stringValue ?? "")
        #expect([a, b, c].allSatisfy { $0["status"] == "succeeded" })
        _ = try f.kernel.call("run.pin", ["id": .string(aID), "pinned": true])
        // A running run whose first step produced a stored value.
        let dID = try f.run("live")
        var d: JSON = .null
        for _ in 0..<600 {
            d = try f.kernel.call("run.get", ["id": .string(dID)])
            if Self.step(d, "s")?["status"] == "running" { break }
            usleep(100_000)
        }
        #expect(Self.step(d, "s")?["status"] == "running", "\(d)")
        let (aBlob, bBlob, dBlob) = (Self.digest(a, "p"), Self.digest(b, "p"), Self.digest(d, "p"))
        #expect(aBlob != nil && bBlob != nil && dBlob != nil && aBlob != bBlob)
        usleep(2_500_000)  // a, b, c finished more than runs=2s ago

        let dry = try f.kernel.call("kernel.gc", ["dry_run": true])
        #expect(dry["dry_run"] == true && dry["runs"]?["count"] == 2, "\(dry)")
        #expect(Set(dry["runs"]?["ids"]?.arrayValue?.compactMap(\.stringValue) ?? []) == [bID, cID])
        #expect(try f.kernel.call("run.get", ["id": .string(bID)])["status"] == "succeeded", "a dry run deletes nothing")

        let (status, out, err) = try f.kernel.cli(["gc"])
        #expect(status == 0, "\(err)")
        #expect(out.contains("deleted: 2 run(s)"), "\(out)")
        let after = try f.kernel.call("kernel.status")["retention"]?["last_sweep"] ?? .null
        let freed = Set(after["blobs"]?["digests"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        #expect(freed.contains(bBlob ?? "?"), "\(after)")
        #expect(!freed.contains(aBlob ?? "?") && !freed.contains(dBlob ?? "?"))

        // Gone: the old unpinned runs, their events.
        for id in [bID, cID] {
            #expect(rpcError { try f.kernel.call("run.get", ["id": .string(id)]) }?.kind == "not_found")
            #expect(rpcError { try f.kernel.call("run.events", ["id": .string(id)]) }?.kind == "not_found")
        }
        // Kept: the pinned run with its events and its whole stored result; the running run and its value.
        #expect(try f.kernel.call("run.get", ["id": .string(aID)])["status"] == "succeeded")
        #expect(try !f.events(aID).isEmpty)
        let full = try f.kernel.call("run.result", ["id": .string(aID), "step": "p", "full": true])
        #expect(full["value"]?.stringValue?.utf8.count == (1 << 20) / 6 * 6)
        let chunk = try f.kernel.call("run.result", ["id": .string(dID), "step": "p", "offset": 0, "length": 16])
        #expect(chunk["length"] == 16 && chunk["size"]?.intValue == (1 << 20) + 2)
        #expect(try f.kernel.call("run.get", ["id": .string(dID)])["status"] == "running")
        // Audited; a second sweep finds nothing.
        let audit = try f.kernel.call("audit.list", ["entity_type": "workflow_run", "entity_id": "retention", "limit": 100])
        let actions = Set((audit["items"]?.arrayValue ?? []).compactMap { $0["action_type"]?.stringValue })
        #expect(actions.isSuperset(of: ["retention.delete_runs", "retention.sweep"]), "\(actions)")
        #expect(try f.kernel.call("kernel.gc")["runs"]?["count"] == 0)
        // Unpinned, the old run goes too.
        _ = try f.kernel.call("run.pin", ["id": .string(aID), "pinned": false])
        #expect(try f.kernel.call("kernel.gc")["runs"]?["ids"] == [.string(aID)])
        _ = try f.kernel.call("run.cancel", ["id": .string(dID)])
    }

    @Test func malformedPolicyRefusesToStart() throws {
        do {
            let bad = try KernelProcess.start(env: ["MCPK_RETENTION": "runs=30x,logs=1d"])
            bad.stop()
            Issue.record("a kernel started with a malformed MCPK_RETENTION")
        } catch let e as KernelError {
            #expect(e.message.contains("MCPK_RETENTION"), "\(e.message)")
        }
    }
}
