import HTTPTestSupport
import Foundation
import Glibc
import KernelClient
import KernelCore
import Testing

/// SSE against the real kernel and engine: a 10,000-line Python step, a client
/// that disconnects in the middle and resumes with Last-Event-ID; the union of
/// both streams is exactly seq 1...N, each once.
@Suite(.serialized) struct HTTPSSELiveTests {
    /// Ids of complete frames only (a frame cut by the disconnect is not counted).
    static func ids(_ text: String) -> [Int64] {
        guard let start = text.range(of: "\r\n\r\n") else { return [] }
        var blocks = String(text[start.upperBound...]).components(separatedBy: "\n\n")
        blocks.removeLast()  // incomplete remainder (empty when the stream ended cleanly)
        return blocks.compactMap { block in
            block.split(separator: "\n").first { $0.hasPrefix("id: ") }.flatMap { Int64($0.dropFirst(4)) }
        }
    }

    static func events(_ text: String) -> [String] {
        text.split(separator: "\n").filter { $0.hasPrefix("event: ") }.map { String($0.dropFirst(7)) }
    }

    @Test func disconnectMidRunAndResumeWithLastEventID() throws {
        let port = HTTPTestClient.freePort()
        let k = try KernelProcess.start(http: "127.0.0.1:\(port)")
        defer { k.stop() }
        let lines = 10_000
        let code = "def main():\n    for i in range(\(lines)):\n        print(f'line {i}', flush=True)\n    return {'lines': \(lines)}\n"
        let compBody: JSON = ["name": "ten-k-lines", "config": ["type": "Python Script", "codeContent": .string(code)]]
        let comp = try HTTPTestClient.request(port: port, "POST", "/api/v1/components", body: compBody.serialized())
        #expect(comp.status == 201, "\(comp.text)")
        let wfBody: JSON = ["name": "ten-k", "steps": [["id": "a", "component": "ten-k-lines"]]]
        let wf = try HTTPTestClient.request(port: port, "POST", "/api/v1/workflows", body: wfBody.serialized())
        #expect(wf.status == 201, "\(wf.text)")
        let wid = try #require(wf.json["id"]?.stringValue)
        // The dashboard feed, opened before the run starts.
        let feed = try HTTPTestClient(port: port, timeoutSeconds: 60)
        try feed.send("GET /api/v1/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
        _ = try feed.readStream { $0.contains("retry: 2000\n\n") }
        let run = try HTTPTestClient.request(port: port, "POST", "/api/v1/workflows/\(wid)/runs", body: "{}")
        #expect(run.status == 202, "\(run.text)")
        let runID = try #require(run.json["run_id"]?.stringValue)
        #expect(run.header("location") == "/api/v1/workflow-runs/\(runID)")

        // First client: read a part of the stream, then drop the connection.
        let a = try HTTPTestClient(port: port)
        try a.send("GET /api/v1/workflow-runs/\(runID)/stream HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
        let firstText = try a.readStream { HTTPSSELiveTests.ids($0).count >= 2_000 || $0.contains("event: end\n") }
        #expect(firstText.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(firstText.contains("\r\n\r\nretry: 2000\n\n"))
        let first = HTTPSSELiveTests.ids(firstText)
        let last = try #require(first.last)
        shutdown(a.fd, Int32(SHUT_RDWR))  // disconnect in the middle

        // Second client resumes after the last id it saw; the stream ends with `end` and closes.
        let b = try HTTPTestClient(port: port, timeoutSeconds: 120)
        try b.send("GET /api/v1/workflow-runs/\(runID)/stream HTTP/1.1\r\nHost: x\r\nLast-Event-ID: \(last)\r\n\r\n")
        let secondText = try b.readToEOF()
        let second = HTTPSSELiveTests.ids(secondText)
        #expect(HTTPSSELiveTests.events(secondText).last == "end")
        let union = first + second
        let n = try #require(union.last)
        let exact = union == Array(1...n)
        #expect(exact, "first \(first.count) ids (last \(last)), second \(second.count) ids, distinct \(Set(union).count), max \(n)")
        let logs = (HTTPSSELiveTests.events(firstText) + HTTPSSELiveTests.events(secondText)).filter { $0 == "log" }.count
        #expect(logs >= lines)
        #expect(secondText.contains(#"line 9999"#))

        // The stored events agree with what was streamed.
        let finished = try HTTPTestClient.request(port: port, "GET", "/api/v1/workflow-runs/\(runID)")
        #expect(finished.status == 200)
        let events = try HTTPTestClient.request(port: port, "GET", "/api/v1/workflow-runs/\(runID)/events?after=\(n - 1)")
        #expect(events.json["items"]?[0]?["seq"]?.intValue == n)
        #expect(events.json["items"]?[0]?["type"]?.stringValue == "end")
        #expect(events.json["next_cursor"] == .null, "the last page has no next cursor")

        // The feed saw the run's status changes and its end, without per-run ids, and stays open.
        let feedText = try feed.readStream { $0.contains("event: end\n") }
        #expect(feedText.contains("\"run_id\":\"\(runID)\""))
        #expect(feedText.contains("\"status\":\"running\""))
        #expect(feedText.contains("event: end\n"))
        #expect(!feedText.contains("\nid: "))
        #expect(!feed.eof)

        // The run and its step are counted in /metrics (fed by events.subscribe).
        let runStatus = try #require(finished.json["status"]?.stringValue ?? finished.json["run"]?["status"]?.stringValue)
        let metrics = try HTTPTestClient.request(port: port, "GET", "/metrics").text
        #expect(metrics.contains("mcpk_runs_total{status=\"\(runStatus)\"} 1"), "\(metrics)")
        #expect(metrics.contains("mcpk_runs_total{status=\"running\"} 1"))
        #expect(metrics.contains("mcpk_steps_total{status=\"running\",type=\"\"} 1") || metrics.contains("mcpk_steps_total{status=\"running\",type=\"Python Script\"} 1"))
        #expect(metrics.contains("mcpk_step_duration_seconds_count"))
        #expect(metrics.contains("mcpk_sse_clients{stream=\"run\"} 0"))
        #expect(metrics.contains("mcpk_connections{transport=\"socket\"}"))
    }
}
