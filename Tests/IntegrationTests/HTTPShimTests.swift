import HTTPTestSupport
import Foundation
import Glibc
import KernelClient
import KernelCore
import Testing

/// The HTTP shim against the real `mcpk serve` binary, with a raw socket client and curl.
@Suite(.serialized) struct HTTPShimTests {
    static func start(env: [String: String] = [:], args: [String] = []) throws -> (KernelProcess, Int) {
        let port = HTTPTestClient.freePort()
        let k = try KernelProcess.start(env: env, args: args, http: "127.0.0.1:\(port)")
        return (k, port)
    }

    @Test func healthzMetricsAndRequestIDs() throws {
        let (k, port) = try HTTPShimTests.start()
        defer { k.stop() }
        let h = try HTTPTestClient.request(port: port, "GET", "/healthz", headers: ["X-Request-Id": "it-req-42"])
        #expect(h.status == 200)
        #expect(h.header("content-type") == "application/json; charset=utf-8")
        #expect(h.json["status"]?.stringValue == "ok")
        #expect(h.header("x-request-id") == "it-req-42")
        let generated = try HTTPTestClient.request(port: port, "GET", "/healthz")
        #expect((generated.header("x-request-id") ?? "").count == 36)
        let m = try HTTPTestClient.request(port: port, "GET", "/metrics")
        #expect(m.status == 200)
        #expect(m.header("content-type")?.hasPrefix("text/plain; version=0.0.4") == true)
        #expect(m.text.contains(#"mcpk_http_requests_total{route="/healthz",method="GET",status="200"} 2"#))
        #expect(m.text.contains("# TYPE mcpk_step_duration_seconds histogram"))
        #expect(m.text.contains(#"mcpk_connections{transport="http"}"#))
        let st = try HTTPTestClient.request(port: port, "GET", "/api/v1/kernel/status")
        #expect(st.json["pid"]?.intValue == Int64(k.pid))
        #expect(st.json["http"]?["port"]?.intValue == Int64(port))
        // The request id is in the kernel log.
        #expect(k.log().contains("request_id=it-req-42"))
    }

    @Test func consoleAddressIsPrintedStaticFilesLogAtDebugAndABusyPortNamesTheSetting() throws {
        let (k, port) = try HTTPShimTests.start()
        defer { k.stop() }
        #expect(k.log().contains("console at http://127.0.0.1:\(port)/"), "\(k.log())")
        let page = try HTTPTestClient.request(port: port, "GET", "/")
        #expect(page.status == 200)
        _ = try HTTPTestClient.request(port: port, "GET", "/api/v1/kernel/status")
        // At info: the API call is logged, the console file is not.
        let log = k.log()
        #expect(log.contains("path=/api/v1/kernel/status"), "\(log)")
        #expect(!log.contains("path=/ "), "\(log)")
        // A second kernel on the same port says which setting to change.
        let (status, _, err) = try KernelProcess.run(KernelProcess.binary, ["serve"],
                                                     env: ["MCPK_HOME": KernelProcess.makeHome(), "MCPK_HTTP": "127.0.0.1:\(port)"])
        #expect(status != 0)
        #expect(err.contains("address already in use") && err.contains("--http or MCPK_HTTP"), "\(err)")
    }

    @Test func keepAliveAndPipeliningAnswerInOrder() throws {
        let (k, port) = try HTTPShimTests.start()
        defer { k.stop() }
        let c = try HTTPTestClient(port: port)
        // The first request is slow (400 ms on the loop's timer); answers must still come in order.
        try c.send("GET /api/v1/kernel/ping?delay_ms=400&echo=first HTTP/1.1\r\nHost: x\r\n\r\n"
            + "GET /api/v1/kernel/ping?echo=second HTTP/1.1\r\nHost: x\r\n\r\n"
            + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        let a = try c.readResponse(), b = try c.readResponse(), d = try c.readResponse()
        #expect(a.json["echo"]?.stringValue == "first")
        #expect(b.json["echo"]?.stringValue == "second")
        #expect(d.json["status"]?.stringValue == "ok")
        #expect(a.header("connection") == "keep-alive")
        // Still open: one more request on the same connection, then close.
        try c.send("GET /api/v1/kernel/ping?echo=3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let e = try c.readResponse()
        #expect(e.json["echo"]?.stringValue == "3")
        #expect(e.header("connection") == "close")
        #expect(c.waitClosed())
    }

    @Test func errorsBadJSONUnknownRoutesAndUnregisteredMethods() throws {
        let (k, port) = try HTTPShimTests.start()
        defer { k.stop() }
        let bad = try HTTPTestClient.request(port: port, "POST", "/api/v1/components", body: #"{"name": "#)
        #expect(bad.status == 400)
        #expect(bad.json["error"]?["kind"]?.stringValue == "invalid_params")
        let notObject = try HTTPTestClient.request(port: port, "POST", "/api/v1/workflows", body: "[]")
        #expect(notObject.status == 400)
        let none = try HTTPTestClient.request(port: port, "GET", "/api/v1/no-such-thing")
        #expect(none.status == 404)
        #expect(none.json["error"]?["kind"]?.stringValue == "not_found")
        let wrongMethod = try HTTPTestClient.request(port: port, "DELETE", "/api/v1/components")
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.header("allow") == "GET, POST")
        let badPing = try HTTPTestClient.request(port: port, "GET", "/api/v1/kernel/ping?delay_ms=999999")
        #expect(badPing.status == 400 || badPing.status == 422)
        #expect(badPing.json["error"]?["kind"]?.stringValue == "invalid_params")
        // A row whose control method is not registered answers 404 naming the method.
        let methods = try k.call("rpc.discover")["methods"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        if !methods.contains("plugin.list") {
            let p = try HTTPTestClient.request(port: port, "GET", "/api/v1/plugins")
            #expect(p.status == 404)
            #expect(p.json["error"]?["message"]?.stringValue?.contains("plugin.list") == true)
        }
        // Garbage on the wire: 400 and the connection closes.
        let c = try HTTPTestClient(port: port)
        try c.send("NOT HTTP AT ALL\r\n\r\n")
        #expect(try c.readResponse().status == 400)
        #expect(c.waitClosed())
    }

    @Test func bodyLimitsAnswer413AndChunkedBodiesWork() throws {
        let (k, port) = try HTTPShimTests.start(env: ["MCPK_HTTP_MAX_BODY_BYTES": "1024"])
        defer { k.stop() }
        let big = "{\"name\":\"" + String(repeating: "x", count: 2000) + "\"}"
        let r = try HTTPTestClient.request(port: port, "POST", "/api/v1/components", body: big)
        #expect(r.status == 413)
        #expect(r.header("connection") == "close")
        // Chunked: a small body parses (bad JSON → 400 proves it was read), a large one is 413.
        let c = try HTTPTestClient(port: port)
        try c.send("POST /api/v1/components HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n3\r\n{\"a\r\n2\r\n\":\r\n0\r\n\r\n")
        let small = try c.readResponse()
        #expect(small.status == 400)
        #expect(small.json["error"]?["message"]?.stringValue?.contains("not valid JSON") == true)
        let c2 = try HTTPTestClient(port: port)
        var chunked = "POST /api/v1/components HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        for _ in 0..<3 { chunked += "200\r\n" + String(repeating: "y", count: 512) + "\r\n" }
        chunked += "0\r\n\r\n"
        try c2.send(chunked)
        #expect(try c2.readResponse().status == 413)
        // curl with a chunked upload.
        let (status, out, _) = try KernelProcess.run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}",
            "-H", "Transfer-Encoding: chunked", "-H", "Content-Type: application/json", "--data-binary", big,
            "http://127.0.0.1:\(port)/api/v1/components"])
        #expect(status == 0)
        #expect(out == "413")
    }

    @Test func slowHeadersAreCutOff() throws {
        let (k, port) = try HTTPShimTests.start(env: ["MCPK_HTTP_HEADER_TIMEOUT_MS": "300"])
        defer { k.stop() }
        let c = try HTTPTestClient(port: port)
        try c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n")
        // Trickle a header one byte at a time (slowloris) for far longer than the timeout.
        var cut = false
        for _ in 0..<100 {
            do { try c.send("X") } catch { cut = true; break }
            usleep(50_000)
        }
        let r = try? c.readResponse()
        #expect(cut || r?.status == 408)
        #expect(r == nil || r?.status == 408)
        #expect(c.waitClosed())
        // The kernel still serves others.
        #expect(try HTTPTestClient.request(port: port, "GET", "/healthz").status == 200)
    }

    @Test func idleKeepAliveConnectionsAreClosed() throws {
        let (k, port) = try HTTPShimTests.start(env: ["MCPK_HTTP_IDLE_TIMEOUT_MS": "300"])
        defer { k.stop() }
        let c = try HTTPTestClient(port: port)
        try c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try c.readResponse().status == 200)
        #expect(c.waitClosed())
    }

    @Test func connectionLimitAnswers503() throws {
        let (k, port) = try HTTPShimTests.start(env: ["MCPK_HTTP_MAX_CONNECTIONS": "2"])
        defer { k.stop() }
        let a = try HTTPTestClient(port: port), b = try HTTPTestClient(port: port)
        try a.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        try b.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try a.readResponse().status == 200)
        #expect(try b.readResponse().status == 200)
        let third = try HTTPTestClient(port: port)
        let r = try third.readResponse()
        #expect(r.status == 503)
        #expect(r.json["error"]?["kind"]?.stringValue == "unavailable")
        withExtendedLifetime((a, b)) {}
    }

    @Test func tokenProtectsTheAPIButNotHealthz() throws {
        let (k, port) = try HTTPShimTests.start(env: ["MCPK_TOKEN": "tok-123"])
        defer { k.stop() }
        let no = try HTTPTestClient.request(port: port, "GET", "/api/v1/kernel/status")
        #expect(no.status == 401)
        #expect(no.json["error"]?["kind"]?.stringValue == "unauthenticated")
        #expect(no.header("www-authenticate")?.hasPrefix("Bearer") == true)
        let wrong = try HTTPTestClient.request(port: port, "GET", "/api/v1/kernel/status", headers: ["Authorization": "Bearer tok-124"])
        #expect(wrong.status == 401)
        let ok = try HTTPTestClient.request(port: port, "GET", "/api/v1/kernel/status", headers: ["Authorization": "Bearer tok-123"])
        #expect(ok.status == 200)
        #expect(!ok.text.contains("tok-123"))
        #expect(try HTTPTestClient.request(port: port, "GET", "/healthz").status == 200)
        // Non-loopback without a token refuses to start.
        let (status, _, err) = try KernelProcess.run(KernelProcess.binary, ["serve", "--http", "0.0.0.0:\(HTTPTestClient.freePort())"],
                                                     env: ["MCPK_HOME": KernelProcess.makeHome(), "MCPK_TOKEN": ""])
        #expect(status != 0)
        #expect(err.contains("MCPK_TOKEN"))
    }

    @Test func openAPIAndConsoleAreServed() throws {
        let (k, port) = try HTTPShimTests.start()
        defer { k.stop() }
        let doc = try HTTPTestClient.request(port: port, "GET", "/api/v1/openapi.json")
        #expect(doc.status == 200)
        #expect(doc.json["openapi"]?.stringValue == "3.1.0")
        #expect(doc.json["paths"]?["/api/v1/workflows/{id}/runs"]?["post"]?["x-mcpk-method"]?.stringValue == "workflow.run")
        // Each operation's response body is the method's registered reply schema: every field named, closed.
        let health = doc.json["paths"]?["/api/v1/dashboard/system-health"]?["get"]?["responses"]?["200"]?["content"]?["application/json"]?["schema"]
        #expect(health?["additionalProperties"] == false)
        #expect(health?["required"]?.arrayValue?.contains("plugins") == true)
        #expect(health?["properties"]?["plugins"]?["required"] == ["loaded", "failed", "crashed"])
        #expect(health?["properties"]?["cluster"] != nil)
        let test = doc.json["paths"]?["/api/v1/external-databases/{id}/test"]?["post"]?["responses"]?["200"]?["content"]?["application/json"]?["schema"]
        #expect(test?["properties"]?["latency_ms"] != nil && test?["properties"]?["server_version"] != nil && test?["properties"]?["error"] != nil)
        let index = try HTTPTestClient.request(port: port, "GET", "/")
        #expect(index.status == 200)
        #expect(index.header("content-type") == "text/html; charset=utf-8")
        let etag = try #require(index.header("etag"))
        let again = try HTTPTestClient.request(port: port, "GET", "/", headers: ["If-None-Match": etag])
        #expect(again.status == 304)
        let spa = try HTTPTestClient.request(port: port, "GET", "/workflows/abc")
        #expect(spa.status == 200 && spa.body == index.body)
        let traversal = try HTTPTestClient.request(port: port, "GET", "/..%2F..%2F..%2Fetc%2Fpasswd")
        #expect(traversal.status == 404)
        #expect(!traversal.text.contains("root:"))
        let (_, curlOut, _) = try KernelProcess.run("/usr/bin/curl", ["-s", "--path-as-is", "http://127.0.0.1:\(port)/../../etc/passwd"])
        #expect(!curlOut.contains("root:"))
    }

    /// The console lookup in the real binary: the build tree by default (the
    /// binary runs from `.build/<triple>/<config>`), `MCPK_CONSOLE_DIR` when set,
    /// and "not installed" (404 on console paths, reported by status) when that
    /// directory does not exist.
    @Test func consoleDirectoryLookup() throws {
        do {
            let (k, port) = try HTTPShimTests.start()
            defer { k.stop() }
            let console = try HTTPTestClient.request(port: port, "GET", "/api/v1/kernel/status").json["http"]?["console"]
            #expect(console?["source"]?.stringValue == "build_tree")
            #expect(console?["dir"]?.stringValue?.hasSuffix("/console") == true)
        }
        let dir = KernelProcess.makeHome() + "-console"
        mkdir(dir, 0o755)
        let f = fopen(dir + "/index.html", "w")
        fputs("<html>from MCPK_CONSOLE_DIR</html>", f)
        fclose(f)
        do {
            let (k, port) = try HTTPShimTests.start(env: ["MCPK_CONSOLE_DIR": dir])
            defer { k.stop() }
            let index = try HTTPTestClient.request(port: port, "GET", "/")
            #expect(index.status == 200 && index.text == "<html>from MCPK_CONSOLE_DIR</html>")
            let health = try HTTPTestClient.request(port: port, "GET", "/api/v1/dashboard/system-health").json
            #expect(health["http"]?["console"]?["source"]?.stringValue == "setting")
        }
        do {
            let (k, port) = try HTTPShimTests.start(env: ["MCPK_CONSOLE_DIR": dir + "/missing"])
            defer { k.stop() }
            let index = try HTTPTestClient.request(port: port, "GET", "/")
            #expect(index.status == 404)
            #expect(index.text.contains("the console is not installed"))
            let console = try HTTPTestClient.request(port: port, "GET", "/api/v1/kernel/status").json["http"]?["console"]
            #expect(console?["installed"]?.boolValue == false)
            #expect(console?["source"]?.stringValue == "not_installed")
            // The API is unaffected.
            #expect(try HTTPTestClient.request(port: port, "GET", "/healthz").status == 200)
        }
    }

    @Test func randomBytesNeverTakeTheShimDown() throws {
        let (k, port) = try HTTPShimTests.start(env: ["MCPK_HTTP_HEADER_TIMEOUT_MS": "200", "MCPK_HTTP_IDLE_TIMEOUT_MS": "200"])
        defer { k.stop() }
        var rng = SystemRandomNumberGenerator()
        let prefixes = ["", "GET / HTTP/1.1\r\n", "POST /api/v1/components HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
                        "GET /api/v1/workflow-runs/x/stream HTTP/1.1\r\nLast-Event-ID: "]
        for i in 0..<120 {
            let c = try HTTPTestClient(port: port, timeoutSeconds: 5)
            var bytes = Array(prefixes[i % prefixes.count].utf8)
            for _ in 0..<Int.random(in: 1...600, using: &rng) { bytes.append(UInt8.random(in: 0...255, using: &rng)) }
            try? c.send(bytes)
            if i % 3 == 0 { try? c.send("\r\n\r\n") }
            _ = c.waitClosed()  // every malformed connection ends (error answer or timeout)
        }
        #expect(try HTTPTestClient.request(port: port, "GET", "/healthz").status == 200)
        #expect(kill(k.pid, 0) == 0)
    }
}
