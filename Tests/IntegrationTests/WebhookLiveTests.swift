import Foundation
import Glibc
import HTTPTestSupport
import KernelClient
import KernelCore
import Testing

/// Webhooks through a real `mcpk serve` and curl (issue 18): signed deliveries start runs with
/// `trigger: {kind: "webhook"}`, bad or missing signatures are refused (401) and start nothing,
/// `?wait=` returns the result, `Idempotency-Key` returns the first run, the per-hook rate limit
/// answers 429, and the secret is never returned.
@Suite(.serialized) struct WebhookLiveTests {
    typealias Fixture = EngineLiveTests.Fixture

    struct Reply {
        var status: Int
        var headers: [String: String]
        var body: String
        var json: JSON { (try? JSONParser.parse(body)) ?? .null }
    }

    static func post(_ port: Int, _ path: String, _ body: String, headers: [String] = [],
                     contentType: String = "application/json") throws -> Reply {
        let headerFile = "/tmp/mcpk-hook-h-\(getpid())-\(Int.random(in: 0..<1_000_000))"
        defer { unlink(headerFile) }
        var args = ["-s", "-X", "POST", "-D", headerFile, "http://127.0.0.1:\(port)\(path)", "-H", "Content-Type: \(contentType)",
                    "--data-binary", body]
        for h in headers { args += ["-H", h] }
        let (rc, out, err) = try KernelProcess.run("/usr/bin/curl", args)
        guard rc == 0 else { throw KernelError.unavailable("curl failed (\(rc)): \(err)") }
        let head = (try? String(contentsOfFile: headerFile, encoding: .utf8)) ?? ""
        var lines = head.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        let status = lines.isEmpty ? 0 : Int(lines.removeFirst().split(separator: " ")[1]) ?? 0
        var hs: [String: String] = [:]
        for l in lines { if let c = l.firstIndex(of: ":") { hs[l[..<c].lowercased()] = String(l[l.index(after: c)...]).trimmingCharacters(in: .whitespaces) } }
        return Reply(status: status, headers: hs, body: out)
    }

    /// `sha256=<hex>` computed by Python's hmac module (an implementation independent of the kernel's).
    static func sign(_ secret: String, _ body: String) throws -> String {
        let script = "import hmac,hashlib,sys; print('sha256='+hmac.new(sys.argv[1].encode(), sys.stdin.buffer.read(), hashlib.sha256).hexdigest())"
        let (rc, out, err) = try KernelProcess.run("/usr/bin/python3", ["-c", script, secret], stdin: body)
        guard rc == 0 else { throw KernelError.unavailable("python3 hmac failed: \(err)") }
        return out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func greeter(_ f: Fixture) throws {
        try f.component("greet", ["type": "Utility", "operation": "template", "template": "Hello ${inputs.who} from ${inputs.repo}"])
        try f.workflow("greeter", [
            "inputs": ["type": "object", "properties": ["who": ["type": "string"], "repo": ["type": "string"]], "required": ["who", "repo"]],
            "steps": [["id": "t", "component": "greet", "inputs": ["who": "${inputs.who}", "repo": "${inputs.repo}"]]],
            "outputs": ["text": "${steps.t.result.text}"],
        ])
    }

    func runs(_ f: Fixture) throws -> [JSON] {
        try f.kernel.call("run.list", ["workflow": f.name("greeter")])["items"]?.arrayValue ?? []
    }

    @Test func signedDeliveryRunsAndBadSignatureRunsNothing() throws {
        let port = HTTPTestClient.freePort()
        let f = try Fixture(env: ["MCPK_HTTP": "127.0.0.1:\(port)"])
        try Self.greeter(f)
        let secret = "s3cret-\(Int.random(in: 100_000..<999_999))"
        let hook = try f.kernel.call("webhook.create", ["name": f.name("gh"), "workflow": f.name("greeter"), "secret": .string(secret),
                                                        "mapping": ["who": "body.sender.login", "repo": "body.repository.name"]])
        let id = try #require(hook["id"]?.stringValue)
        #expect(hook["url"]?.stringValue == "/hooks/\(id)")
        #expect(hook["secret"] == "set")
        #expect(!hook.serialized().contains(secret))
        let got = try f.kernel.call("webhook.get", ["id": .string(id)])
        #expect(!got.serialized().contains(secret))
        let list = try f.kernel.call("webhook.list")
        #expect(list["items"]?.arrayValue?.contains { $0["id"]?.stringValue == id } == true)
        #expect(list["next_cursor"] != nil)

        let body = #"{"sender":{"login":"octocat"},"repository":{"name":"mcpk"},"action":"opened"}"#
        // No signature, a wrong one, and one made with another secret: 401, no run.
        let unsigned = try Self.post(port, "/hooks/\(id)", body)
        #expect(unsigned.status == 401, "\(unsigned.body)")
        #expect(unsigned.json["error"]?["kind"] == "unauthenticated")
        let wrong = try Self.post(port, "/hooks/\(id)", body, headers: ["X-Signature-256: sha256=" + String(repeating: "0", count: 64)])
        #expect(wrong.status == 401, "\(wrong.body)")
        let otherKey = try Self.post(port, "/hooks/\(id)", body, headers: ["X-Signature-256: " + (try Self.sign("not-the-secret", body))])
        #expect(otherKey.status == 401)
        let tampered = try Self.post(port, "/hooks/\(id)", body.replacingOccurrences(of: "octocat", with: "mallory"),
                                     headers: ["X-Signature-256: " + (try Self.sign(secret, body))])
        #expect(tampered.status == 401)
        #expect(try runs(f).isEmpty, "a refused delivery must start nothing")

        // Signed: 202 {run_id} at once; the run carries its trigger and the mapped inputs.
        let signature = try Self.sign(secret, body)
        let ok = try Self.post(port, "/hooks/\(id)", body, headers: ["X-Signature-256: \(signature)"])
        #expect(ok.status == 202, "\(ok.body)")
        let runID = try #require(ok.json["run_id"]?.stringValue)
        #expect(ok.headers["location"] == "/api/v1/workflow-runs/\(runID)")
        let done = try f.wait(runID)
        #expect(done["status"] == "succeeded", "\(done)")
        #expect(done["outputs"]?["text"] == "Hello octocat from mcpk")
        #expect(done["inputs"] == ["who": "octocat", "repo": "mcpk"])
        #expect(done["trigger"]?["kind"] == "webhook" && done["trigger"]?["id"] == .string(id), "\(done["trigger"] ?? .null)")

        // ?wait=30s: the result in the reply.
        let waited = try Self.post(port, "/hooks/\(id)?wait=30s", body, headers: ["X-Signature-256: \(signature)"])
        #expect(waited.status == 200, "\(waited.body)")
        #expect(waited.json["status"] == "succeeded" && waited.json["outputs"]?["text"] == "Hello octocat from mcpk", "\(waited.body)")

        // Idempotency-Key: the repeat returns the first run and starts none.
        let key = "delivery-\(Int.random(in: 100_000..<999_999))"
        let first = try Self.post(port, "/hooks/\(id)", body, headers: ["X-Signature-256: \(signature)", "Idempotency-Key: \(key)"])
        let again = try Self.post(port, "/hooks/\(id)", body, headers: ["X-Signature-256: \(signature)", "Idempotency-Key: \(key)"])
        #expect(first.status == 202 && again.status == 202, "\(first.body) \(again.body)")
        #expect(first.json["run_id"] != nil && again.json["run_id"] == first.json["run_id"])
        #expect(again.json["replayed"] == true)
        #expect(try runs(f).count == 3)

        // A mapping that does not fit the body: 422 naming the input; nothing run.
        let missing = #"{"sender":{"login":"x"}}"#
        let bad = try Self.post(port, "/hooks/\(id)", missing, headers: ["X-Signature-256: " + (try Self.sign(secret, missing))])
        #expect(bad.status == 422, "\(bad.body)")
        #expect(bad.json["error"]?["errors"]?[0]?["path"] == "mapping.repo", "\(bad.body)")
        #expect(try runs(f).count == 3)

        // Unknown hook: 404. The audit trail names the hook as the run's actor.
        #expect(try Self.post(port, "/hooks/nope", body).status == 404)
        let audit = try f.kernel.call("audit.list", ["entity_type": "workflow_run", "entity_id": .string(runID)])
        #expect(audit["items"]?[0]?["actor"]?.stringValue == "webhook:\(id)", "\(audit)")
    }

    @Test func formBodiesRateLimitAndCLI() throws {
        let port = HTTPTestClient.freePort()
        let f = try Fixture(env: ["MCPK_HTTP": "127.0.0.1:\(port)"])
        try Self.greeter(f)
        let hook = try f.kernel.call("webhook.create", ["name": f.name("form"), "workflow": f.name("greeter"), "rate_limit_per_minute": 2])
        let id = try #require(hook["id"]?.stringValue)
        #expect(hook["secret"] == .null)
        let a = try Self.post(port, "/hooks/\(id)?wait=30s", "who=Ann&repo=kernel", contentType: "application/x-www-form-urlencoded")
        #expect(a.status == 200 && a.json["outputs"]?["text"] == "Hello Ann from kernel", "\(a.body)")
        // A body that fails the workflow's input schema: 422 with the input's path.
        let b = try Self.post(port, "/hooks/\(id)", #"{"who":"Bob"}"#)
        #expect(b.status == 422, "\(b.body)")
        #expect(b.json["error"]?["errors"]?.arrayValue?.contains { $0["path"]?.stringValue?.contains("repo") == true } == true, "\(b.body)")
        // Third request within the minute: over the limit of 2.
        let c = try Self.post(port, "/hooks/\(id)", #"{"who":"C","repo":"r"}"#)
        #expect(c.status == 429, "\(c.body)")
        #expect(c.headers["retry-after"].flatMap(Int.init) ?? 0 >= 1)
        #expect(c.json["error"]?["message"]?.stringValue?.contains("rate_limit_per_minute") == true)

        let (rc, out, err) = try f.kernel.cli(["webhooks", "list"])
        #expect(rc == 0, "\(err)")
        #expect(out.contains("/hooks/\(id)") && out.contains("open"), "\(out)")
        let (rc2, out2, _) = try f.kernel.cli(["webhooks", "delete", id])
        #expect(rc2 == 0 && out2.contains(id))
        #expect(try Self.post(port, "/hooks/\(id)", #"{"who":"C","repo":"r"}"#).status == 404)
    }
}
