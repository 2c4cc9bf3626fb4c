import HTTPTestSupport
import Foundation
import Glibc
import KernelClient
import KernelCore
import Testing

/// Components, workflows, runs, artifacts, connections and plugins through REST
/// against the real kernel (engine, store, plugins): statuses, Location headers,
/// params from path/query/body, and downloads with their content type.
@Suite(.serialized) struct HTTPResourceRoutesTests {
    func req(_ port: Int, _ method: String, _ path: String, _ body: JSON? = nil) throws -> HTTPTestClient.Response {
        try HTTPTestClient.request(port: port, method, path, body: body?.serialized())
    }

    func waitFinished(_ port: Int, _ runID: String) throws -> JSON {
        for _ in 0..<600 {
            let r = try req(port, "GET", "/api/v1/workflow-runs/\(runID)")
            let status = r.json["status"]?.stringValue ?? r.json["run"]?["status"]?.stringValue ?? ""
            if ["succeeded", "failed", "cancelled", "timed_out"].contains(status) { return r.json }
            usleep(50_000)
        }
        throw KernelError.unavailable("run \(runID) did not finish")
    }

    @Test func componentsWorkflowsRunsArtifactsConnectionsPlugins() throws {
        let port = HTTPTestClient.freePort()
        let k = try KernelProcess.start(http: "127.0.0.1:\(port)")
        defer { k.stop() }

        // Component types and components.
        let types = try req(port, "GET", "/api/v1/component-types")
        #expect(types.status == 200)
        #expect(types.text.contains("Python Script"))
        let created = try req(port, "POST", "/api/v1/components",
                              ["name": "producer", "config": ["type": "Python Script", "codeContent": "def main():\n    return [{'a': 1, 'b': 'x'}, {'a': 2, 'b': 'y'}]\n"]])
        #expect(created.status == 201, "\(created.text)")
        let cid = try #require(created.json["id"]?.stringValue)
        #expect(created.header("location") == "/api/v1/components/\(cid)")
        #expect(try req(port, "GET", "/api/v1/components/\(cid)").status == 200)
        let listed = try req(port, "GET", "/api/v1/components?limit=10")
        #expect(listed.status == 200, "\(listed.text)")
        let patched = try req(port, "PATCH", "/api/v1/components/\(cid)", ["description": "makes rows"])
        #expect(patched.status == 200, "\(patched.text)")
        let put = try req(port, "PUT", "/api/v1/components/\(cid)",
                          ["config": ["type": "Python Script", "codeContent": "def main():\n    return [{'a': 1, 'b': 'x'}, {'a': 2, 'b': 'y'}]  # v2\n"]])
        #expect(put.status == 200, "\(put.text)")
        let versions = try req(port, "GET", "/api/v1/components/\(cid)/versions")
        #expect(versions.status == 200)
        #expect(versions.text.contains("\"version\":2"))
        let invalid = try req(port, "POST", "/api/v1/components", ["name": "bad", "config": ["type": "LLM Prompt Agent", "temperature": 3]])
        #expect(invalid.status == 422, "\(invalid.text)")
        #expect(invalid.json["error"]?["errors"]?.arrayValue?.isEmpty == false)
        #expect(try req(port, "POST", "/api/v1/components", ["name": "PRODUCER", "config": ["type": "Python Script", "codeContent": "def main(): return 1"]]).status == 409)
        _ = try req(port, "POST", "/api/v1/components", ["name": "writer", "config": ["type": "Output", "format": "csv", "name": "rows"]])

        // Workflows.
        let steps: JSON = [["id": "p", "component": "producer"],
                           ["id": "w", "component": "writer", "needs": ["p"], "inputs": ["data": "${steps.p.result}"]]]
        let wf = try req(port, "POST", "/api/v1/workflows", ["name": "rows to csv", "steps": steps])
        #expect(wf.status == 201, "\(wf.text)")
        let wid = try #require(wf.json["id"]?.stringValue)
        #expect(wf.header("location") == "/api/v1/workflows/\(wid)")
        #expect(try req(port, "GET", "/api/v1/workflows").status == 200)
        #expect(try req(port, "GET", "/api/v1/workflows/\(wid)").status == 200)
        #expect(try req(port, "POST", "/api/v1/workflows/\(wid)/validate", [:]).status == 200)
        let upd = try req(port, "PUT", "/api/v1/workflows/\(wid)", ["description": "csv export", "steps": steps])
        #expect(upd.status == 200, "\(upd.text)")
        let badWF = try req(port, "POST", "/api/v1/workflows", ["name": "cyclic", "steps": [
            ["id": "a", "component": "producer", "needs": ["b"]], ["id": "b", "component": "producer", "needs": ["a"]]]])
        #expect(badWF.status == 422, "\(badWF.text)")

        // Runs.
        let started = try req(port, "POST", "/api/v1/workflows/\(wid)/runs", ["inputs": [:]])
        #expect(started.status == 202, "\(started.text)")
        let runID = try #require(started.json["run_id"]?.stringValue)
        #expect(started.header("location") == "/api/v1/workflow-runs/\(runID)")
        let finished = try waitFinished(port, runID)
        #expect((finished["status"] ?? finished["run"]?["status"])?.stringValue == "succeeded", "\(finished)")
        let runs = try req(port, "GET", "/api/v1/workflow-runs?workflow=\(wid)&limit=5")
        #expect(runs.status == 200, "\(runs.text)")
        #expect(runs.text.contains(runID))
        let events = try req(port, "GET", "/api/v1/workflow-runs/\(runID)/events?after=0&limit=3")
        #expect(events.status == 200)
        #expect(events.json["items"]?.arrayValue?.map { $0["seq"]?.intValue ?? 0 } == [1, 2, 3])
        // A full page names its cursor; passing it back gives the next page.
        #expect(events.json["next_cursor"] == "3")
        let next = try req(port, "GET", "/api/v1/workflow-runs/\(runID)/events?cursor=3&limit=2")
        #expect(next.json["items"]?.arrayValue?.map { $0["seq"]?.intValue ?? 0 } == [4, 5], "\(next.text)")
        let cancel = try req(port, "POST", "/api/v1/workflow-runs/\(runID)/cancel", [:])
        #expect([200, 409].contains(cancel.status), "\(cancel.text)")
        let artifacts = try req(port, "GET", "/api/v1/workflow-runs/\(runID)/artifacts")
        #expect(artifacts.status == 200)
        #expect(artifacts.text.contains("rows.csv"))
        let csv = try req(port, "GET", "/api/v1/workflow-runs/\(runID)/artifacts/rows.csv")
        #expect(csv.status == 200)
        #expect(csv.header("content-type")?.hasPrefix("text/csv") == true)
        #expect(csv.text.contains("a,b"))
        #expect(try req(port, "GET", "/api/v1/workflow-runs/\(runID)/artifacts/nope.csv").status == 404)
        #expect(try req(port, "GET", "/api/v1/workflow-runs/no-such-run").status == 404)

        // Connections through a bundled plugin.
        let db = k.home + "/data.db"
        let conn = try req(port, "POST", "/api/v1/external-databases", ["name": "local", "plugin": "sqlite", "config": ["path": .string(db), "create": true]])
        #expect(conn.status == 201, "\(conn.text)")
        let connID = try #require(conn.json["id"]?.stringValue)
        #expect(try req(port, "POST", "/api/v1/external-databases/\(connID)/test", [:]).status == 200)
        let ddl = try req(port, "POST", "/api/v1/external-databases/\(connID)/query", ["sql": "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"])
        #expect(ddl.status == 200, "\(ddl.text)")
        _ = try req(port, "POST", "/api/v1/external-databases/\(connID)/query", ["sql": "INSERT INTO t (v) VALUES ('a'), ('b')"])
        let rows = try req(port, "POST", "/api/v1/external-databases/\(connID)/query", ["sql": "SELECT v FROM t ORDER BY id", "max_rows": 1])
        #expect(rows.status == 200)
        #expect(rows.json["rows"]?.arrayValue?.count == 1)
        let scan = try req(port, "POST", "/api/v1/external-databases/\(connID)/scan", [:])
        #expect(scan.status == 200)
        #expect(scan.text.contains("\"t\""))
        let plugins = try req(port, "GET", "/api/v1/plugins")
        #expect(plugins.status == 200)
        #expect(plugins.text.contains("sqlite"))

        // Deletes.
        #expect(try req(port, "DELETE", "/api/v1/workflows/\(wid)").status == 200)
        #expect(try req(port, "GET", "/api/v1/workflows/\(wid)").status == 404)
        #expect(try req(port, "DELETE", "/api/v1/components/\(cid)").status == 200)
        #expect(try req(port, "DELETE", "/api/v1/external-databases/\(connID)").status == 200)
    }
}
