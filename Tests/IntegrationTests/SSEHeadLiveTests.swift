import HTTPTestSupport
import Foundation
import Glibc
import KernelCore
import Testing

/// HEAD on the SSE routes answers the head a GET would (200,
/// text/event-stream, or 404 for an unknown run) with no body, and ends.
@Suite struct SSEHeadLiveTests {
    /// Sends one raw request and reads until the server closes.
    static func raw(_ port: Int, _ request: String) throws -> (text: String, closed: Bool) {
        let c = try HTTPTestClient(port: port, timeoutSeconds: 10)
        try c.send(request)
        let text = try c.readToEOF()
        return (text, c.eof)
    }

    @Test func headOnStreamsSendsHeadersOnlyAndEnds() throws {
        let port = HTTPTestClient.freePort()
        let f = try EngineLiveTests.Fixture(env: ["MCPK_HTTP": "127.0.0.1:\(port)"])
        try f.python("p", "def main():\n    print('hi')\n    return {'ok': True}\n")
        try f.workflow("w", ["steps": [["id": "a", "component": "p"]]])
        let id = try f.run("w")
        #expect(try f.wait(id)["status"] == "succeeded")

        // A finished run: GET would stream its stored events; HEAD sends only the head.
        let get = try Self.raw(port, "GET /api/v1/workflow-runs/\(id)/stream HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(get.text.contains("event: end\n"), "GET streams the events: \(get.text)")
        let head = try Self.raw(port, "HEAD /api/v1/workflow-runs/\(id)/stream HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(head.closed, "the server ends a HEAD")
        #expect(head.text.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(head.text)")
        #expect(head.text.lowercased().contains("content-type: text/event-stream"))
        #expect(head.text.hasSuffix("\r\n\r\n"), "no body after the head: \(head.text)")
        #expect(head.text.components(separatedBy: "\r\n\r\n").count == 2)

        // The live dashboard feed never ends for GET; HEAD still ends at once.
        let feed = try Self.raw(port, "HEAD /api/v1/events HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(feed.closed)
        #expect(feed.text.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(feed.text)")
        #expect(feed.text.lowercased().contains("content-type: text/event-stream"))
        #expect(feed.text.hasSuffix("\r\n\r\n"), "\(feed.text)")

        // An unknown run: 404 as for GET, without the body.
        let getMissing = try Self.raw(port, "GET /api/v1/workflow-runs/no-such-run/stream HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(getMissing.text.hasPrefix("HTTP/1.1 404 "), "\(getMissing.text)")
        let missing = try Self.raw(port, "HEAD /api/v1/workflow-runs/no-such-run/stream HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(missing.closed)
        #expect(missing.text.hasPrefix("HTTP/1.1 404 "), "\(missing.text)")
        #expect(missing.text.hasSuffix("\r\n\r\n"), "no body: \(missing.text)")

        // The kernel still serves GETs after the HEADs (no subscription left behind).
        let metrics = try HTTPTestClient.request(port: port, "GET", "/metrics").text
        #expect(metrics.contains("mcpk_sse_clients{stream=\"run\"} 0") || !metrics.contains("mcpk_sse_clients{stream=\"run\"}"), "\(metrics)")
    }
}
