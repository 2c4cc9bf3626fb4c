import Foundation
import Glibc
import HTTPTestSupport
import KernelClient
import KernelCore
import Testing

/// Workspace secrets and variables (issue 17) through a real `mcpk serve`, the real CLI and a
/// real sandboxed Python step: `${secrets.NAME}` is refused outside the inputs a type declares
/// secret (with the path), reaches the step that may use it, and never appears in the store's
/// events, step rows, run rows or audit rows (the SQLite database files and the PostgreSQL
/// tables are searched byte for byte) nor in the kernel log, although the step prints it to
/// stdout and stderr and returns it; `${vars.NAME}` reads a variable.
@Suite("Live: workspace secrets and variables", .serialized)
struct SecretsLiveTests {
    static let leaky = """
    import sys
    def main(secrets, region, **kw):
        print("token is", secrets["token"], flush=True)
        print("stderr token", secrets["token"], file=sys.stderr, flush=True)
        return {"echo": secrets["token"], "region": region, "length": len(secrets["token"])}
    """

    /// Every byte of the SQLite home's database files.
    static func sqliteBytes(_ home: String) -> String {
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: home)) ?? []).filter { $0.hasPrefix("mcpk.db") }
        return files.map { (try? String(decoding: Data(contentsOf: URL(fileURLWithPath: home + "/" + $0)), as: UTF8.self)) ?? "" }.joined()
    }

    /// A data-only dump of the PostgreSQL database.
    static func postgresDump(_ url: String) throws -> String {
        let (rc, out, err) = try KernelProcess.run("/usr/bin/pg_dump", ["--data-only", url])
        guard rc == 0 else { throw KernelError.unavailable("pg_dump failed: \(err)") }
        return out
    }

    @Test(arguments: LiveBackend.enabled)
    func secretNeverRecordedVariableResolved(_ backend: LiveBackend) throws {
        let env = try backend.environment()
        let port = HTTPTestClient.freePort()
        let f = try EngineLiveTests.Fixture(env: env.merging(["MCPK_HTTP": "127.0.0.1:\(port)"]) { $1 })
        let secret = "tok-\(Int.random(in: 100_000_000..<999_999_999))-zz"
        let secretName = "API_TOKEN" + f.tag.replacingOccurrences(of: "-", with: "_")

        // CLI: the value from stdin, never echoed; list shows the name only.
        let (rc, out, err) = try KernelProcess.run(KernelProcess.binary, ["secrets", "set", secretName],
                                                   env: ["MCPK_HOME": f.kernel.home], stdin: secret + "\n")
        #expect(rc == 0, "\(err)")
        #expect(out.contains("created secret \(secretName)") && !out.contains(secret) && !err.contains(secret), "\(out) \(err)")
        let (lrc, listed, _) = try f.kernel.cli(["secrets", "list"])
        #expect(lrc == 0 && listed.contains(secretName) && !listed.contains(secret), "\(listed)")
        let listJSON = try f.kernel.call("secret.list")
        #expect(listJSON["items"]?.arrayValue?.contains { $0["name"]?.stringValue == secretName && $0["value"] == "set" } == true)
        // REST: a variable set over HTTP, listed with its value.
        let put = try HTTPTestClient.request(port: port, "PUT", "/api/v1/variables/REGION", body: #"{"value":"eu-west"}"#)
        #expect(put.status == 200, "\(put.text)")
        let vars = try HTTPTestClient.request(port: port, "GET", "/api/v1/variables")
        #expect(vars.json["items"]?.arrayValue?.contains { $0["name"] == "REGION" && $0["value"] == "eu-west" } == true, "\(vars.text)")

        try f.python("leaky", Self.leaky)
        // A secret outside a declared secret input: refused with the path; in outputs too.
        let refused = rpcError {
            try f.kernel.call("workflow.validate", ["steps": [["id": "s", "component": f.name("leaky"),
                                                              "inputs": ["secrets": [:], "region": .string("${secrets.\(secretName)}")]]],
                                                   "outputs": ["t": .string("${secrets.\(secretName)}")]])
        }
        let validated = try f.kernel.call("workflow.validate", ["steps": [["id": "s", "component": f.name("leaky"),
                                                                          "inputs": ["secrets": [:], "region": .string("${secrets.\(secretName)}")]]],
                                                               "outputs": ["t": .string("${secrets.\(secretName)}")]])
        #expect(refused == nil)
        let errors = (validated["errors"]?.arrayValue ?? []).map { "\($0["path"]?.stringValue ?? ""): \($0["message"]?.stringValue ?? "")" }
        #expect(errors.contains { $0.hasPrefix("steps[0].inputs.region: ${secrets.\(secretName)} is allowed only in an input its component type declares secret (Python Script declares secret only: secrets)") }, "\(errors)")
        #expect(errors.contains { $0.hasPrefix("outputs.t: ") && $0.contains("not in outputs") }, "\(errors)")

        try f.workflow("leak", ["steps": [["id": "s", "component": "leaky", "inputs": [
            "secrets": ["token": .string("${secrets.\(secretName)}")], "region": "${vars.REGION}"]]],
            "outputs": ["echo": "${steps.s.result.echo}", "region": "${steps.s.result.region}", "length": "${steps.s.result.length}"]])
        let runID = try f.run("leak")
        let done = try f.wait(runID)
        #expect(done["status"] == "succeeded", "\(done)")
        // The step had the real value (its length), the recorded result has the mask.
        #expect(done["outputs"]?["length"]?.intValue == Int64(secret.count), "\(done["outputs"] ?? .null)")
        #expect(done["outputs"]?["echo"] == "***" && done["outputs"]?["region"] == "eu-west", "\(done["outputs"] ?? .null)")
        let lines = try f.events(runID).filter { $0["type"] == "log" }.compactMap { $0["payload"]?["line"]?.stringValue }
        #expect(lines.contains("token is ***") && lines.contains("stderr token ***"), "\(lines)")
        let running = try f.events(runID).first { $0["payload"]?["status"] == "running" && $0["payload"]?["entity"] == "step" }
        #expect(running?["payload"]?["inputs"]?["secrets"]?["token"] == "***", "\(running ?? .null)")

        // Nothing recorded holds the value: the API, the store's bytes, the kernel log.
        #expect(!done.serialized().contains(secret))
        #expect(!(try f.events(runID)).map { $0.serialized() }.joined().contains(secret))
        let audit = try f.kernel.call("audit.list", ["limit": 200])
        #expect(!audit.serialized().contains(secret))
        #expect(audit["items"]?.arrayValue?.contains { $0["action_type"] == "secret.set" && $0["entity_id"]?.stringValue == secretName } == true)
        switch backend {
        case .sqlite:
            let bytes = Self.sqliteBytes(f.kernel.home)
            #expect(bytes.contains(runID), "the database files were read")
            #expect(!bytes.contains(secret), "the secret is in the SQLite database files")
        case .postgres:
            let dump = try Self.postgresDump(try #require(env["DATABASE_URL"]))
            #expect(dump.contains(runID), "the dump holds the run")
            #expect(!dump.contains(secret), "the secret is in the PostgreSQL tables")
        }
        #expect(f.kernel.log().contains("store open") && !f.kernel.log().contains(secret), "the secret is in the kernel log")

        // A missing secret fails the step with the reason; delete works.
        let (drc, _, derr) = try f.kernel.cli(["secrets", "delete", secretName])
        #expect(drc == 0, "\(derr)")
        let failed = try f.wait(try f.run("leak"))
        #expect(failed["status"] == "failed" && (failed["error"]?.stringValue ?? "").contains("no secret named '\(secretName)'"), "\(failed)")
    }

    static let bigLeaky = """
    def main(secrets, pad, **kw):
        token = secrets["token"]
        return {"echo": token, "copies": [token] * 50, "pad": "y" * 300000, "seen": len(pad), "length": len(token)}
    """

    /// Every byte of the files under `dir`, recursively.
    static func treeBytes(_ dir: String) -> String {
        guard let walker = FileManager.default.enumerator(atPath: dir) else { return "" }
        var out = ""
        while let rel = walker.nextObject() as? String {
            if let d = FileManager.default.contents(atPath: dir + "/" + rel) { out += String(decoding: d, as: UTF8.self) }
        }
        return out
    }

    /// A result over the inline limit (spooled to the blob store) and inputs big enough to be
    /// spooled, both holding the secret: masked before anything is stored, so neither the
    /// database nor the blob store (`$MCPK_HOME/blobs`, or PostgreSQL's blob chunks) has a copy.
    @Test(arguments: LiveBackend.enabled)
    func largeValuesMaskedBeforeSpooling(_ backend: LiveBackend) throws {
        let env = try backend.environment()
        let f = try EngineLiveTests.Fixture(env: env)
        let secret = "big-\(Int.random(in: 100_000_000..<999_999_999))-qq"
        let secretName = "BIG_TOKEN" + f.tag.replacingOccurrences(of: "-", with: "_")
        let (rc, _, err) = try KernelProcess.run(KernelProcess.binary, ["secrets", "set", secretName],
                                                 env: ["MCPK_HOME": f.kernel.home], stdin: secret + "\n")
        #expect(rc == 0, "\(err)")
        try f.python("bigleaky", Self.bigLeaky)
        let pad = String(repeating: "x", count: 300_000)
        try f.workflow("bigleak", ["steps": [["id": "s", "component": "bigleaky", "inputs": [
            "secrets": ["token": .string("${secrets.\(secretName)}")], "pad": .string(pad)]]],
            "outputs": ["seen": "${steps.s.result.seen}", "length": "${steps.s.result.length}", "echo": "${steps.s.result.echo}"]])
        let runID = try f.run("bigleak")
        let done = try f.wait(runID)
        #expect(done["status"] == "succeeded", "\(done)")
        #expect(done["outputs"]?["seen"]?.intValue == 300_000 && done["outputs"]?["length"]?.intValue == Int64(secret.count), "\(done["outputs"] ?? .null)")
        #expect(done["outputs"]?["echo"] == "***", "\(done["outputs"] ?? .null)")
        let events = try f.events(runID)
        let result = events.first { $0["type"] == "result" }?["payload"]?["value"]
        #expect(result?["$ref"] != nil, "the result was spooled: \(result?.serialized().prefix(200) ?? "none")")
        let hex = secret.utf8.map { String(format: "%02x", $0) }.joined()
        switch backend {
        case .sqlite:
            let blobs = Self.treeBytes(f.kernel.home + "/blobs")
            #expect(blobs.contains("yyyy") && blobs.contains("xxxx"), "the blob store holds the spooled result and inputs")
            #expect(!blobs.contains(secret), "the secret is in the blob store")
            let bytes = Self.sqliteBytes(f.kernel.home)
            #expect(bytes.contains(runID) && !bytes.contains(secret), "the secret is in the SQLite database files")
        case .postgres:
            let dump = try Self.postgresDump(try #require(env["DATABASE_URL"]))
            #expect(dump.contains(runID), "the dump holds the run")
            #expect(!dump.contains(secret) && !dump.contains(hex), "the secret is in the PostgreSQL tables or blob chunks")
        }
        #expect(!f.kernel.log().contains(secret), "the secret is in the kernel log")
    }
}
