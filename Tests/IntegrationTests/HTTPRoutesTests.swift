import HTTPTestSupport
import Foundation
import Glibc
import KernelClient
import KernelCore
import Testing

/// Every REST route whose control method is registered, against the real binary,
/// with curl as the client (status, headers and JSON bodies).
@Suite(.serialized) struct HTTPRoutesTests {
    struct Reply {
        var status: Int
        var headers: [String: String]
        var body: String
        var json: JSON { (try? JSONParser.parse(body)) ?? .null }
    }

    static func curl(_ port: Int, _ method: String, _ path: String, _ body: String? = nil) throws -> Reply {
        let headerFile = "/tmp/mcpk-curl-h-\(getpid())-\(Int.random(in: 0..<1_000_000))"
        defer { unlink(headerFile) }
        var args = ["-s", "-X", method, "-D", headerFile, "http://127.0.0.1:\(port)\(path)"]
        if let body { args += ["-H", "Content-Type: application/json", "--data-binary", body] }
        let (rc, out, err) = try KernelProcess.run("/usr/bin/curl", args)
        guard rc == 0 else { throw KernelError.unavailable("curl failed (\(rc)): \(err)") }
        let head = (try? String(contentsOfFile: headerFile, encoding: .utf8)) ?? ""
        var lines = head.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        let status = lines.isEmpty ? 0 : Int(lines.removeFirst().split(separator: " ")[1]) ?? 0
        var headers: [String: String] = [:]
        for l in lines { if let c = l.firstIndex(of: ":") { headers[l[..<c].lowercased()] = String(l[l.index(after: c)...]).trimmingCharacters(in: .whitespaces) } }
        return Reply(status: status, headers: headers, body: out)
    }

    @Test func externalDatabasesAuditEntitiesAndDashboard() throws {
        let port = HTTPTestClient.freePort()
        let k = try KernelProcess.start(http: "127.0.0.1:\(port)")
        defer { k.stop() }
        let methods = try k.call("rpc.discover")["methods"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        try #require(methods.contains("connection.create"), "connection methods are on main")
        let secret = "pw-\(Int.random(in: 100_000..<999_999))"

        let created = try HTTPRoutesTests.curl(port, "POST", "/api/v1/external-databases",
            #"{"name":"Warehouse","plugin":"postgres","config":{"host":"db.local"},"secret":"\#(secret)"}"#)
        #expect(created.status == 201, "\(created.body)")
        #expect(created.headers["content-type"] == "application/json; charset=utf-8")
        #expect(!created.body.contains(secret))
        let id = try #require(created.json["id"]?.stringValue)
        #expect(created.headers["location"] == "/api/v1/external-databases/\(id)")
        #expect(created.headers["x-request-id"] != nil)

        let got = try HTTPRoutesTests.curl(port, "GET", "/api/v1/external-databases/\(id)")
        #expect(got.status == 200)
        #expect(got.json["name"]?.stringValue == "Warehouse")
        #expect(!got.body.contains(secret))

        let list = try HTTPRoutesTests.curl(port, "GET", "/api/v1/external-databases")
        #expect(list.status == 200)
        #expect(list.json["items"]?.arrayValue?.count == 1)

        let dup = try HTTPRoutesTests.curl(port, "POST", "/api/v1/external-databases", #"{"name":"WAREHOUSE","plugin":"postgres"}"#)
        #expect(dup.status == 409)
        #expect(dup.json["error"]?["kind"]?.stringValue == "conflict")

        let invalid = try HTTPRoutesTests.curl(port, "POST", "/api/v1/external-databases", #"{"name":"","plugin":"postgres"}"#)
        #expect(invalid.status == 422 || invalid.status == 400)
        #expect(invalid.json["error"]?["kind"]?.stringValue == "invalid_params")
        if invalid.status == 422 {
            #expect(invalid.json["error"]?["errors"]?[0]?["path"]?.stringValue?.isEmpty == false)
        }

        let updated = try HTTPRoutesTests.curl(port, "PUT", "/api/v1/external-databases/\(id)", #"{"config":{"host":"db2"}}"#)
        #expect(updated.status == 200)
        #expect(updated.json["config"]?["host"]?.stringValue == "db2")

        let audit = try HTTPRoutesTests.curl(port, "GET", "/api/v1/action-logs?entity_type=connection&entity_id=\(id)")
        #expect(audit.status == 200, "\(audit.body)")
        let actions = audit.json["items"]?.arrayValue?.compactMap { $0["action_type"]?.stringValue } ?? []
        #expect(actions == ["connection.update", "connection.create"])
        let actor = audit.json["items"]?[0]?["actor"]?.stringValue ?? ""
        #expect(actor.hasPrefix("http"))

        let entity = try HTTPRoutesTests.curl(port, "GET", "/api/v1/entities/connection/\(id)")
        #expect(entity.status == 200)
        #expect(entity.json["name"]?.stringValue == "Warehouse")
        let noEntity = try HTTPRoutesTests.curl(port, "GET", "/api/v1/entities/connection/nope")
        #expect(noEntity.status == 404)

        let summary = try HTTPRoutesTests.curl(port, "GET", "/api/v1/dashboard/summary")
        #expect(summary.status == 200)
        #expect(summary.json["total_connections"]?.intValue == 1)
        let health = try HTTPRoutesTests.curl(port, "GET", "/api/v1/dashboard/system-health")
        #expect(health.status == 200)

        let deleted = try HTTPRoutesTests.curl(port, "DELETE", "/api/v1/external-databases/\(id)")
        #expect(deleted.status == 200)
        let gone = try HTTPRoutesTests.curl(port, "GET", "/api/v1/external-databases/\(id)")
        #expect(gone.status == 404)
        #expect(gone.json["error"]?["kind"]?.stringValue == "not_found")

        // Method call outcomes are counted in /metrics.
        let metrics = try HTTPRoutesTests.curl(port, "GET", "/metrics")
        #expect(metrics.body.contains(#"mcpk_method_calls_total{method="connection.create",outcome="conflict"} 1"#))
        #expect(metrics.body.contains(#"mcpk_http_requests_total{route="/api/v1/external-databases/{id}",method="GET",status="404"} 1"#))
    }
}
