import Glibc
import KernelLoop
import Logging
import PluginTestSupport
import Testing
@testable import KernelCore
@testable import KernelDispatch
@testable import KernelServices
@testable import KernelTransport

/// The shim's request → control method → response mapping, in process, with a
/// dispatcher holding methods that answer like the real services do.
@Suite struct HTTPAPITests {
    @KernelActor
    static func api(token: String? = nil, cors: String? = nil, console: ConsoleFiles = ConsoleFiles(root: nil)) throws -> HTTPAPI {
        var flags: [String: String] = ["MCPK_HOME": "/tmp/mcpk-http-unit"]
        if let token { flags["MCPK_TOKEN"] = token }
        if let cors { flags["MCPK_CORS_ORIGINS"] = cors }
        let config = try KernelConfiguration.resolve(flags: flags, environment: [:], dotEnv: nil,
                                                     workingDirectory: "/tmp", bundledPluginDir: nil)
        let d = Dispatcher()
        d.register("component.create", summary: "create", params: [
            "type": "object", "required": ["name"],
            "properties": ["name": ["type": "string"], "config": ["type": "object"]],
        ]) { p, ctx in
            let name = try p.string("name")
            if name == "dup" { throw KernelError.conflict("component 'dup' already exists") }
            if p.value("config")?["model"] == nil {
                throw KernelError.invalidParams("invalid config", errors: [FieldError("config.model", "is required")])
            }
            return ["id": "c-1", "name": .string(name), "actor": .string(ctx.actor)]
        }
        d.register("component.get", summary: "get", params: ["type": "object", "properties": ["id": ["type": "string"]]]) { p, _ in
            let id = try p.string("id")
            guard id == "c/1" else { throw KernelError.notFound("component \(id) not found") }
            return ["id": .string(id)]
        }
        d.register("run.list", summary: "list", params: ["type": "object", "properties": [
            "limit": ["type": "integer"], "status": ["type": "array", "items": ["type": "string"]],
            "verbose": ["type": "boolean"], "workflow": ["type": "string"],
        ], "additionalProperties": true]) { p, _ in p.json }  // open on purpose: an undeclared query param stays a string
        d.register("workflow.run", summary: "run", params: ["type": "object"]) { p, _ in
            ["run_id": .string("r-" + (try p.string("id")))]
        }
        d.register("dashboard.health", summary: "health") { _, _ in throw KernelError.unavailable("store down") }
        d.register("dashboard.summary", summary: "summary") { _, _ in throw KernelError.internal("boom") }
        d.register("connection.delete", summary: "delete") { _, _ in throw KernelError.forbidden("in use") }
        return HTTPAPI(dispatcher: d, configuration: config, logger: Logger(label: "test"), console: console)
    }

    @KernelActor
    static func send(_ api: HTTPAPI, _ method: String, _ target: String, body: String = "",
                     headers: [(String, String)] = []) async -> HTTPResponse {
        let r = HTTPRequest(method: method, target: target, headers: headers.map { ($0.0.lowercased(), $0.1) },
                            body: Array(body.utf8))
        switch await api.handle(r, requestID: "t").0 {
        case .response(let resp): return resp
        case .stream, .events: return HTTPResponse(status: -1)
        case .blob: return HTTPResponse(status: -2)
        }
    }

    static func json(_ r: HTTPResponse) -> JSON { (try? JSONParser.parse(r.body)) ?? .null }

    @Test func statusByErrorKind() async throws {
        let results: [(Int, JSON)] = try await Task { @KernelActor in
            let api = try HTTPAPITests.api()
            var out: [(Int, JSON)] = []
            for (m, t, b) in [("POST", "/api/v1/components", #"{"name":"a","config":{}}"#),
                              ("POST", "/api/v1/components", #"{"name":"dup"}"#),
                              ("POST", "/api/v1/components", #"{"name":"#),
                              ("POST", "/api/v1/components", #"[1]"#),
                              ("POST", "/api/v1/components", #"{}"#),
                              ("GET", "/api/v1/components/nope", ""),
                              ("GET", "/api/v1/dashboard/system-health", ""),
                              ("GET", "/api/v1/dashboard/summary", ""),
                              ("DELETE", "/api/v1/external-databases/x", ""),
                              ("GET", "/api/v1/plugins", ""),
                              ("GET", "/api/v1/nothing-here", ""),
                              ("PATCH", "/api/v1/workflows", "")] {
                let r = await HTTPAPITests.send(api, m, t, body: b)
                out.append((r.status, HTTPAPITests.json(r)))
            }
            return out
        }.value
        #expect(results.map(\.0) == [422, 409, 400, 400, 422, 404, 503, 500, 403, 404, 404, 405])
        #expect(results[0].1["error"]?["errors"]?[0]?["path"]?.stringValue == "config.model")
        #expect(results[0].1["error"]?["kind"]?.stringValue == "invalid_params")
        #expect(results[1].1["error"]?["kind"]?.stringValue == "conflict")
        #expect(results[2].1["error"]?["message"]?.stringValue?.hasPrefix("request body is not valid JSON") == true)
        #expect(results[4].1["error"]?["errors"]?[0]?["path"]?.stringValue == "name")
        #expect(results[9].1["error"]?["message"]?.stringValue?.contains("plugin.list") == true)
    }

    @Test func createAnswers201WithLocationAndRunAnswers202() async throws {
        let (created, run) = try await Task { @KernelActor in
            let api = try HTTPAPITests.api()
            let c = await HTTPAPITests.send(api, "POST", "/api/v1/components", body: #"{"name":"a","config":{"model":"m"}}"#,
                                            headers: [("Content-Type", "application/json")])
            let r = await HTTPAPITests.send(api, "POST", "/api/v1/workflows/w%201/runs", body: "")
            return (c, r)
        }.value
        #expect(created.status == 201)
        #expect(created.header("location") == "/api/v1/components/c-1")
        #expect(HTTPAPITests.json(created)["actor"]?.stringValue == "http")
        #expect(created.header("content-type") == "application/json; charset=utf-8")
        #expect(run.status == 202)
        #expect(HTTPAPITests.json(run)["run_id"]?.stringValue == "r-w 1")
        #expect(run.header("location") == "/api/v1/workflow-runs/r-w%201")
    }

    @Test func pathVariablesAreDecodedAndQueryIsCoercedBySchema() async throws {
        let (got, list, unsupported) = try await Task { @KernelActor in
            let api = try HTTPAPITests.api()
            let g = await HTTPAPITests.send(api, "GET", "/api/v1/components/c%2F1")
            let l = await HTTPAPITests.send(api, "GET", "/api/v1/workflow-runs?limit=5&status=running,failed&verbose=true&workflow=12&extra=x")
            let u = await HTTPAPITests.send(api, "POST", "/api/v1/components", body: "name=a",
                                            headers: [("Content-Type", "application/x-www-form-urlencoded")])
            return (g, l, u)
        }.value
        #expect(got.status == 200)
        #expect(HTTPAPITests.json(got)["id"]?.stringValue == "c/1")
        let p = HTTPAPITests.json(list)
        #expect(p["limit"] == .int(5))
        #expect(p["status"] == ["running", "failed"])
        #expect(p["verbose"] == .bool(true))
        #expect(p["workflow"] == .string("12"))
        #expect(p["extra"] == .string("x"))
        #expect(unsupported.status == 415)
    }

    @Test func bearerTokenIsRequiredOnApiButNotHealthz() async throws {
        let statuses: [Int] = try await Task { @KernelActor in
            let api = try HTTPAPITests.api(token: "s3cret")
            var out: [Int] = []
            out.append(await HTTPAPITests.send(api, "GET", "/api/v1/components/c%2F1").status)
            out.append(await HTTPAPITests.send(api, "GET", "/api/v1/components/c%2F1", headers: [("Authorization", "Bearer wrong")]).status)
            out.append(await HTTPAPITests.send(api, "GET", "/api/v1/components/c%2F1", headers: [("Authorization", "Basic czNjcmV0")]).status)
            out.append(await HTTPAPITests.send(api, "GET", "/api/v1/components/c%2F1", headers: [("Authorization", "Bearer s3cret")]).status)
            out.append(await HTTPAPITests.send(api, "GET", "/healthz").status)
            out.append(await HTTPAPITests.send(api, "GET", "/metrics").status)
            out.append(await HTTPAPITests.send(api, "GET", "/api/v1/openapi.json").status)
            return out
        }.value
        #expect(statuses == [401, 401, 401, 200, 200, 401, 401])
        #expect(HTTPAPI.constantTimeEqual(Array("abc".utf8), Array("abc".utf8)))
        #expect(!HTTPAPI.constantTimeEqual(Array("abc".utf8), Array("abd".utf8)))
        #expect(!HTTPAPI.constantTimeEqual(Array("abc".utf8), Array("abcd".utf8)))
        #expect(!HTTPAPI.constantTimeEqual([], Array("a".utf8)))
    }

    @Test func corsIsOffByDefaultAndAllowListed() async throws {
        let (off, on, other, preflight, badPreflight) = try await Task { @KernelActor in
            let offAPI = try HTTPAPITests.api()
            let onAPI = try HTTPAPITests.api(cors: "http://a.example, http://b.example")
            let o = await HTTPAPITests.send(offAPI, "GET", "/healthz", headers: [("Origin", "http://a.example")])
            let n = await HTTPAPITests.send(onAPI, "GET", "/healthz", headers: [("Origin", "http://b.example")])
            let x = await HTTPAPITests.send(onAPI, "GET", "/healthz", headers: [("Origin", "http://evil.example")])
            let p = await HTTPAPITests.send(onAPI, "OPTIONS", "/api/v1/components", headers: [("Origin", "http://a.example")])
            let b = await HTTPAPITests.send(onAPI, "OPTIONS", "/api/v1/components", headers: [("Origin", "http://evil.example")])
            return (o, n, x, p, b)
        }.value
        #expect(off.header("access-control-allow-origin") == nil)
        #expect(on.header("access-control-allow-origin") == "http://b.example")
        #expect(other.header("access-control-allow-origin") == nil)
        #expect(preflight.status == 204)
        #expect(preflight.header("access-control-allow-methods") == "GET, POST")
        #expect(badPreflight.status == 403)
    }

    @Test func openAPIIsGeneratedFromTheRouteTableAndMethodSchemas() async throws {
        let doc = try await Task { @KernelActor in
            let api = try HTTPAPITests.api(token: "t")
            // ComponentConfig: the types the (bundled) plugins declare, as a kernel sets it.
            api.componentConfigSchema = { BundledComponentTypes.types.unionSchema }
            let r = await HTTPAPITests.send(api, "GET", "/api/v1/openapi.json", headers: [("Authorization", "Bearer t")])
            return HTTPAPITests.json(r)
        }.value
        #expect(doc["openapi"]?.stringValue == "3.1.0")
        let paths = try #require(doc["paths"]?.objectValue)
        // Every route but the MCP endpoint (JSON-RPC, not the REST shape: documented in ARCHITECTURE.md).
        for route in HTTPRouteTable.routes where route.action != .mcp {
            #expect(paths[route.pattern]?[route.method.lowercased()] != nil, "\(route.method) \(route.pattern)")
        }
        #expect(paths["/mcp"] == nil)
        let create = doc["paths"]?["/api/v1/components"]?["post"]
        #expect(create?["x-mcpk-method"]?.stringValue == "component.create")
        #expect(create?["requestBody"]?["content"]?["application/json"]?["schema"]?["required"] == ["name"])
        #expect(create?["responses"]?["201"] != nil)
        // The response body: the method's registered reply schema (MethodReplies), closed.
        let created = create?["responses"]?["201"]?["content"]?["application/json"]?["schema"]
        #expect(created == MethodReplies.byMethod["component.create"])
        #expect(created?["additionalProperties"] == false)
        let list = doc["paths"]?["/api/v1/workflow-runs"]?["get"]?["parameters"]?.arrayValue ?? []
        #expect(list.compactMap { $0["name"]?.stringValue }.sorted() == ["limit", "status", "verbose", "workflow"])
        let getRun = doc["paths"]?["/api/v1/workflow-runs/{run_id}"]?["get"]?["parameters"]?[0]
        #expect(getRun?["in"]?.stringValue == "path")
        #expect(getRun?["name"]?.stringValue == "run_id")
        #expect(doc["components"]?["securitySchemes"]?["bearer"]?["scheme"]?.stringValue == "bearer")
        #expect(doc["paths"]?["/healthz"]?["get"]?["security"] == nil)
        let config = doc["components"]?["schemas"]?["ComponentConfig"]
        #expect(config?["oneOf"]?.arrayValue?.count == BundledComponentTypes.types.names.count)
        #expect(config?["oneOf"]?.arrayValue?.count ?? 0 >= 9)
        #expect(config?["$id"] == nil)
    }

    @Test func consoleServesFilesWithETagSPAFallbackAndNoTraversal() async throws {
        // The console root and the secret next to it (the traversal target) in a directory of
        // this test's own: a fixed /tmp path would be shared with any other run on the machine.
        var template = Array("/tmp/mcpk-http-console-XXXXXX".utf8CString)
        let base = try #require(template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }.map { String(cString: $0) })
        let dir = base + "/root"
        mkdir(dir, 0o755)
        mkdir(dir + "/js", 0o755)
        func write(_ path: String, _ text: String) {
            let f = fopen(path, "w"); fputs(text, f); fclose(f)
        }
        write(dir + "/index.html", "<html>app</html>")
        write(dir + "/js/app.js", "console.log(1)")
        write(base + "/mcpk-http-secret.txt", "secret")
        let results: [HTTPResponse] = try await Task { @KernelActor in
            let api = try HTTPAPITests.api(console: ConsoleFiles(root: dir))
            var out: [HTTPResponse] = []
            out.append(await HTTPAPITests.send(api, "GET", "/"))
            out.append(await HTTPAPITests.send(api, "GET", "/js/app.js"))
            out.append(await HTTPAPITests.send(api, "GET", "/workflows/123"))
            out.append(await HTTPAPITests.send(api, "GET", "/js/missing.js"))
            out.append(await HTTPAPITests.send(api, "GET", "/../mcpk-http-secret.txt"))
            out.append(await HTTPAPITests.send(api, "GET", "/%2e%2e/mcpk-http-secret.txt"))
            out.append(await HTTPAPITests.send(api, "GET", "/js/..%2F..%2Fmcpk-http-secret.txt"))
            let etag = out[1].header("etag") ?? ""
            out.append(await HTTPAPITests.send(api, "GET", "/js/app.js", headers: [("If-None-Match", etag)]))
            out.append(await HTTPAPITests.send(api, "HEAD", "/js/app.js"))
            out.append(await HTTPAPITests.send(api, "POST", "/js/app.js"))
            return out
        }.value
        #expect(results[0].status == 200)
        #expect(results[0].header("content-type") == "text/html; charset=utf-8")
        #expect(results[1].header("content-type") == "text/javascript; charset=utf-8")
        #expect(String(decoding: results[1].body, as: UTF8.self) == "console.log(1)")
        #expect(results[2].status == 200 && String(decoding: results[2].body, as: UTF8.self) == "<html>app</html>")
        #expect(results[3].status == 404)
        for r in results[4...6] {
            #expect(r.status == 404)
            #expect(!String(decoding: r.body, as: UTF8.self).contains("secret\""))
            #expect(String(decoding: r.body, as: UTF8.self) != "secret")
        }
        #expect(results[7].status == 304)
        #expect(results[8].status == 200 && results[8].omitBody)
        #expect(results[9].status == 405)
    }
}

@Suite struct HTTPDownloadTests {
    @Test func artifactsDownloadWithTheirContentType() async throws {
        let results: [HTTPResponse] = try await Task { @KernelActor in
            let config = try KernelConfiguration.resolve(flags: ["MCPK_HOME": "/tmp/mcpk-http-unit"], environment: [:], dotEnv: nil,
                                                         workingDirectory: "/tmp", bundledPluginDir: nil)
            let d = Dispatcher()
            d.register("run.artifact", summary: "artifact") { p, _ in
                switch try p.string("name") {
                case "out.csv": return ["name": "out.csv", "mime": "text/csv", "encoding": "utf-8", "content": "a,b\n1,2\n"]
                case "img.png": return ["name": "img.png", "mime": "image/png", "encoding": "base64", "content": "iVBORw0KGgo="]
                default: throw KernelError.notFound("no artifact")
                }
            }
            let api = HTTPAPI(dispatcher: d, configuration: config, logger: Logger(label: "t"), console: ConsoleFiles(root: nil))
            var out: [HTTPResponse] = []
            for name in ["out.csv", "img.png", "nope"] {
                let r = HTTPRequest(method: "GET", target: "/api/v1/workflow-runs/r1/artifacts/\(name)")
                if case .response(let resp) = await api.handle(r, requestID: "t").0 { out.append(resp) }
            }
            return out
        }.value
        #expect(results.map(\.status) == [200, 200, 404])
        #expect(results[0].header("content-type") == "text/csv")
        #expect(String(decoding: results[0].body, as: UTF8.self) == "a,b\n1,2\n")
        #expect(results[0].header("content-disposition") == "attachment; filename=\"out.csv\"")
        #expect(results[1].header("content-type") == "image/png")
        #expect(results[1].body == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    }
}
