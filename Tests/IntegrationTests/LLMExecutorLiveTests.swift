import Foundation
import Glibc
import KernelCore
import Testing

/// The `LLM Prompt Agent` executor plugin (Plugins/llm, libcurl) through a real `mcpk serve`,
/// against `Fixtures/llm_stream_server.py` on 127.0.0.1 (HTTP/1.1 + SSE, optionally TLS).
@Suite(.serialized) struct LLMExecutorLiveTests {
    typealias Fixture = EngineLiveTests.Fixture

    static func step(_ s: JSON, _ id: String) -> JSON? { EngineLiveTests.step(s, id) }

    /// Polls of 50 ms for the test server to log the client's hang-up: 30 s on a loaded machine.
    static let disconnectPollRounds = 600

    /// One LLM component (model `model`) and a one-step workflow (step `w`) running it; returns
    /// the workflow's name for `f.run`. Names are unique per call.
    @discardableResult
    static func define(_ f: Fixture, model: String, endpoint: String, key: JSON? = nil, timeoutSeconds: Double? = nil,
                       who: String = "Ada") throws -> String {
        let name = "llm-\(model)-\(Int.random(in: 1000..<9999))"
        var config: [String: JSON] = ["type": "LLM Prompt Agent", "model": .string(model), "maxTokens": 64,
                                      "userPromptTemplate": "Say hello to ${inputs.who} and {{who}} twice", "endpoint": .string(endpoint)]
        if let key { config["apiKeySecret"] = key }
        try f.component(name, .object(JSONObject(config.map { ($0.key, $0.value) })))
        var step: [String: JSON] = ["id": "w", "component": .string(name), "inputs": ["who": .string(who)]]
        if let timeoutSeconds { step["timeoutSeconds"] = .double(timeoutSeconds) }
        try f.workflow(name, ["steps": [.object(JSONObject(step.map { ($0.key, $0.value) }))]])
        return name
    }

    static func tokens(_ f: Fixture, _ id: String) throws -> [String] {
        try f.events(id).filter { $0["type"] == "log" && $0["payload"]?["stream"] == "llm" }.compactMap { $0["payload"]?["line"]?.stringValue }
    }

    @Test func httpsEndpointVerifiedAgainstTheKernelsCABundle() throws {
        let dir = KernelProcess.makeHome()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let tls = try LLMTestServer.selfSignedCertificate(in: dir)
        let server = try LLMTestServer(logPath: dir + "/requests.jsonl", tls: tls)
        // Trusted through SSL_CERT_FILE: works.
        do {
            let f = try Fixture(env: ["SSL_CERT_FILE": tls.cert])
            // The type is served by the llm plugin (Plugins/llm), not a built-in executor.
            #expect(try f.kernel.call("kernel.status")["engine"]?["executors"]?["LLM Prompt Agent"] == "llm")
            let wf = try Self.define(f, model: "tiny", endpoint: server.endpoint(tls: true))
            let s = try f.wait(try f.run(wf))
            #expect(s["status"] == "succeeded", "\(s)")
            #expect(Self.step(s, "w")?["result"]?["text"] == "Say hello to Ada and Ada twice")
            #expect(Self.step(s, "w")?["result"]?["model"] == "tiny-served")
        }
        // The same server without the CA: a clear certificate error, never a silent fallback.
        do {
            let f = try Fixture(env: ["SSL_CERT_FILE": "", "SSL_CERT_DIR": ""])
            let wf = try Self.define(f, model: "tiny", endpoint: server.endpoint(tls: true))
            let s = try f.wait(try f.run(wf))
            #expect(s["status"] == "failed")
            let error = Self.step(s, "w")?["error"]?.stringValue ?? ""
            #expect(error.contains("certificate"), "\(error)")
            #expect(error.contains("self-signed") || error.contains("self signed"), "\(error)")
        }
        #expect(server.log().filter { $0["path"] != nil }.count == 1)
    }

    /// Issue 17: the secret input `apiKey: "${secrets.NAME}"` is the bearer key, masked everywhere.
    @Test func workspaceSecretInTheApiKeyInputIsSentAsBearer() throws {
        let f = try Fixture()
        let key = "sk-ws-" + String(Int.random(in: 100_000_000..<999_999_999))
        let server = try LLMTestServer(logPath: f.kernel.home + "/requests.jsonl", key: key)
        _ = try f.kernel.call("secret.set", ["name": "LLM_KEY", "value": .string(key)])
        try f.component("wskey", ["type": "LLM Prompt Agent", "model": "tiny", "endpoint": .string(server.endpoint()),
                                  "userPromptTemplate": "Say hello to {{who}}"])
        try f.workflow("wskey", ["steps": [["id": "w", "component": "wskey", "inputs": ["who": "Ada", "apiKey": "${secrets.LLM_KEY}"]]]])
        #expect(try f.kernel.call("component.schema", ["type": "LLM Prompt Agent"])["x-mcpk-secret-inputs"] == ["apiKey"])
        let id = try f.run("wskey")
        let s = try f.wait(id)
        #expect(s["status"] == "succeeded", "\(s)")
        #expect(server.log().first?["auth"]?.stringValue == "Bearer " + key)
        #expect(!(try f.events(id)).map { $0.serialized() }.joined().contains(key))
        #expect(!s.serialized().contains(key) && !f.kernel.log().contains(key))
    }

    @Test func apiKeyIsSentAsBearerAndNeverAppearsInEventsOrLogs() throws {
        let f = try Fixture()
        let key = "sk-live-" + String(Int.random(in: 100_000_000..<999_999_999))
        let server = try LLMTestServer(logPath: f.kernel.home + "/requests.jsonl", key: key)
        let secret = f.name("llm-key")
        _ = try f.kernel.call("connection.create", ["name": secret, "plugin": "sqlite", "config": ["path": .string(f.kernel.home + "/x.db"), "create": true],
                                                    "secret": .string(key)])
        let wf = try Self.define(f, model: "tiny", endpoint: server.endpoint(), key: secret)
        let id = try f.run(wf)
        let s = try f.wait(id)
        #expect(s["status"] == "succeeded", "\(s)")
        #expect(server.log().first?["auth"]?.stringValue == "Bearer " + key)
        #expect(server.log().first?["accept"] == "text/event-stream")
        let events = try f.events(id).map { $0.serialized() }.joined(separator: "\n")
        #expect(!events.isEmpty)
        #expect(!events.contains(key))
        #expect(!s.serialized().contains(key))
        #expect(!f.kernel.log().contains(key))
        // A wrong key: the server's 401 and its body, never the key sent.
        _ = try f.kernel.call("connection.update", ["id": secret, "secret": "sk-wrong-key"])
        let denied = try f.wait(try f.run(wf))
        #expect(denied["status"] == "failed")
        let deniedError = Self.step(denied, "w")?["error"]?.stringValue ?? ""
        #expect(deniedError.contains("HTTP 401"), "\(deniedError)")
        #expect(deniedError.contains("invalid api key"), "\(deniedError)")
        #expect(!denied.serialized().contains("sk-wrong-key"))
        #expect(server.log().last?["auth"]?.stringValue == "Bearer sk-wrong-key")
        // A secret name that does not exist: a clear failure naming it (not the key).
        try f.component("nokey", ["type": "LLM Prompt Agent", "model": "tiny", "endpoint": .string(server.endpoint()),
                                   "apiKeySecret": .string("missing-secret" + f.tag)])
        try f.workflow("nokey", ["steps": [["id": "w", "component": "nokey", "inputs": ["prompt": "hi"]]]])
        let missing = try f.wait(try f.run("nokey"))
        #expect(missing["status"] == "failed")
        #expect(Self.step(missing, "w")?["error"]?.stringValue?.contains("missing-secret" + f.tag) == true, "\(missing)")
        #expect(server.log().filter { $0["path"] != nil }.count == 2)
    }

    @Test func progressEverySixteenTokensAsAFractionOfMaxTokens() throws {
        let f = try Fixture()
        let server = try LLMTestServer(logPath: f.kernel.home + "/requests.jsonl")
        // "Say hello to <20 words> and <20 words> twice": 45 tokens; maxTokens 64.
        let words = (1...20).map { "w\($0)" }.joined(separator: " ")
        let wf = try Self.define(f, model: "tiny", endpoint: server.endpoint(), who: words)
        let id = try f.run(wf)
        let s = try f.wait(id)
        #expect(s["status"] == "succeeded", "\(s)")
        #expect(Self.step(s, "w")?["result"]?["text"] == .string("Say hello to \(words) and \(words) twice"))
        let progress = try f.events(id).filter { $0["type"] == "progress" }.map { $0["payload"] ?? .null }
        #expect(progress.compactMap { $0["fraction"]?.doubleValue } == [0.25, 0.5])
        #expect(progress.compactMap { $0["message"]?.stringValue } == ["16 tokens", "32 tokens"])
        #expect(server.log().first?["body"]?["max_tokens"] == 64)
    }

    @Test func httpErrorsErrorChunksAndEmptyStreamsFailTheStep() throws {
        let f = try Fixture()
        let server = try LLMTestServer(logPath: f.kernel.home + "/requests.jsonl")
        func failure(_ model: String) throws -> String {
            let wf = try Self.define(f, model: model, endpoint: server.endpoint())
            let s = try f.wait(try f.run(wf))
            #expect(s["status"] == "failed", "\(model): \(s)")
            return Self.step(s, "w")?["error"]?.stringValue ?? ""
        }
        let http500 = try failure("http500")
        #expect(http500.contains("HTTP 500"), "\(http500)")
        #expect(http500.contains("internal kaboom"))
        // At most 500 bytes of the 2000-byte body are quoted.
        #expect(http500.filter { $0 == "x" }.count <= 500)
        #expect(!http500.contains(String(repeating: "x", count: 501)))
        let chunk = try failure("error-chunk")
        #expect(chunk.contains("model error: model overloaded"), "\(chunk)")
        let empty = try failure("empty")
        #expect(empty.contains("without any completion"), "\(empty)")
        // Nothing listens: a connection error naming the endpoint.
        let closed = try LLMTestServer(logPath: f.kernel.home + "/closed.jsonl")
        let deadEndpoint = closed.endpoint()
        closed.stop()
        let dead = try Self.define(f, model: "tiny", endpoint: deadEndpoint)
        let refused = try f.wait(try f.run(dead))
        #expect(refused["status"] == "failed")
        #expect(Self.step(refused, "w")?["error"]?.stringValue?.contains("cannot reach") == true, "\(refused)")
    }

    @Test func sseChunksSplitMidLineWithCRLFAndCommentsAreReassembled() throws {
        let f = try Fixture()
        let server = try LLMTestServer(logPath: f.kernel.home + "/requests.jsonl")
        // The endpoint may already name the path.
        let wf = try Self.define(f, model: "split", endpoint: server.endpoint() + "/chat/completions/")
        let id = try f.run(wf)
        let s = try f.wait(id)
        #expect(s["status"] == "succeeded", "\(s)")
        let result = Self.step(s, "w")?["result"]
        #expect(result?["text"] == "Say hello to Ada and Ada twice")
        #expect(result?["model"] == "split-served")
        #expect(result?["usage"]?["total_tokens"] == 14)
        #expect(try Self.tokens(f, id).joined() == "Say hello to Ada and Ada twice")
        #expect(server.log().first?["path"] == "/v1/chat/completions")
    }

    @Test func tokensStreamAsTheyArriveAndCancelStopsTheTransfer() throws {
        let f = try Fixture()
        let server = try LLMTestServer(logPath: f.kernel.home + "/requests.jsonl")
        let wf = try Self.define(f, model: "slow", endpoint: server.endpoint())
        let id = try f.run(wf)
        // Token events are visible while the step is still running (the stream lasts 2 minutes).
        var seen: [String] = []
        while seen.count < 2 {
            seen = try Self.tokens(f, id)
            #expect(try f.kernel.call("run.get", ["id": .string(id)])["status"] == "running")
            usleep(50_000)
        }
        #expect(seen.first == "tok0 ")
        _ = try f.kernel.call("run.cancel", ["id": .string(id)])
        let s = try f.wait(id, timeout: 30)
        #expect(s["status"] == "cancelled", "\(s)")
        #expect(Self.step(s, "w")?["status"] == "cancelled")
        // The plugin hung up: the server saw the client go away long before the stream's end.
        var ended: JSON?
        for _ in 0..<Self.disconnectPollRounds where ended == nil {
            ended = server.log().first { $0["event"] != nil }
            if ended == nil { usleep(50_000) }
        }
        #expect(ended?["event"] == "disconnected", "\(String(describing: ended))")
        // The engine's step timeout reaches the transfer the same way.
        let short = try Self.define(f, model: "slow", endpoint: server.endpoint(), timeoutSeconds: 1)
        let timed = try f.wait(try f.run(short), timeout: 30)
        #expect(timed["status"] == "timed_out" || Self.step(timed, "w")?["status"] == "timed_out", "\(timed)")
    }
}
