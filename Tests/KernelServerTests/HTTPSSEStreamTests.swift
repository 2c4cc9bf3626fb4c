import HTTPTestSupport
import Foundation
import Glibc
import KernelLoop
import Logging
import Testing
@testable import KernelCore
@testable import KernelDispatch
@testable import KernelServer
@testable import KernelServices
@testable import KernelTransport

/// The SSE transport end to end over real TCP on the kernel loop: an in-process
/// HTTPServer whose dispatcher holds a `run.subscribe` that behaves like the
/// engine's (reply carries the first page of stored events, the rest of the
/// history and live events arrive as `run.event` notifications, cleanup on cancel).
@Suite(.serialized) struct HTTPSSEStreamTests {
    @KernelActor
    final class Hub {
        var stored: [JSON] = []
        var live: [String: any Session] = [:]
        var feed: [String: any Session] = [:]

        func publishFeed(run: String, seq: Int64, type: String) {
            for (_, s) in feed { _ = s.notify("run.event", ["event": ["run_id": .string(run), "seq": .int(seq), "type": .string(type)]]) }
        }
        static let pageSize = 3

        func publish(_ type: String, _ payload: JSON = [:]) {
            let e: JSON = ["run_id": "r1", "seq": .int(Int64(stored.count + 1)), "type": .string(type), "payload": payload]
            stored.append(e)
            for (_, s) in live { _ = s.notify("run.event", e) }
        }
    }

    @KernelActor
    static func start(_ limits: HTTPLimits = HTTPLimits()) throws -> (HTTPServer, Hub) {
        let hub = Hub()
        let d = Dispatcher()
        d.register("run.subscribe", summary: "subscribe") { p, ctx in
            let id = try p.string("id")
            guard id == "r1" else { throw KernelError.notFound("run \(id) not found") }
            let after = try p.optionalInt("after") ?? 0
            let session = try ctx.requireSession()
            let subID = Identifier.uuid()
            let history = hub.stored.filter { ($0["seq"]?.intValue ?? 0) > Int64(after) }
            let page = Array(history.prefix(Hub.pageSize))
            hub.live[subID] = session
            session.addSubscription(subID) { hub.live[subID] = nil }
            Task { @KernelActor in
                for e in history.dropFirst(Hub.pageSize) { _ = session.notify("run.event", e) }
            }
            return ["subscription": .string(subID), "events": .array(page)]
        }
        d.register("events.subscribe", summary: "feed", params: ["type": "object", "properties": [:], "additionalProperties": false]) { p, ctx in
            guard p.json.objectValue?.keys.isEmpty ?? true else { throw KernelError.invalidParams("no params expected") }
            let session = try ctx.requireSession()
            let subID = Identifier.uuid()
            hub.feed[subID] = session
            session.addSubscription(subID) { hub.feed[subID] = nil }
            return ["subscription": .string(subID)]
        }
        let config = try KernelConfiguration.resolve(flags: ["MCPK_HOME": "/tmp/mcpk-http-unit"], environment: [:], dotEnv: nil,
                                                     workingDirectory: "/tmp", bundledPluginDir: nil)
        let api = HTTPAPI(dispatcher: d, configuration: config, logger: Logger(label: "t"), console: ConsoleFiles(root: nil))
        let server = HTTPServer(host: "127.0.0.1", port: 0, api: api, limits: limits, logger: Logger(label: "t"))
        try server.start()
        return (server, hub)
    }

    /// (id, event, data) of every frame in the text; comments are skipped.
    static func frames(_ text: String) -> [(id: Int64?, event: String?, data: String)] {
        guard let bodyStart = text.range(of: "\r\n\r\n") else { return [] }
        let body = String(text[bodyStart.upperBound...])
        return body.components(separatedBy: "\n\n").compactMap { block in
            var id: Int64?, event: String?, data: [String] = []
            for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
                if line.hasPrefix("id: ") { id = Int64(line.dropFirst(4)) }
                else if line.hasPrefix("event: ") { event = String(line.dropFirst(7)) }
                else if line.hasPrefix("data: ") { data.append(String(line.dropFirst(6))) }
            }
            return id == nil && event == nil && data.isEmpty ? nil : (id, event, data.joined(separator: "\n"))
        }
    }

    static func get(_ port: Int, _ path: String, lastEventID: Int64? = nil) throws -> HTTPTestClient {
        let c = try HTTPTestClient(port: port)
        var req = "GET \(path) HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n"
        if let lastEventID { req += "Last-Event-ID: \(lastEventID)\r\n" }
        try c.send(req + "\r\n")
        return c
    }

    @Test func replayThenLiveThenEndClosesTheStream() async throws {
        let (server, hub) = try await Task { @KernelActor in
            let (s, h) = try HTTPSSEStreamTests.start()
            for i in 1...5 { h.publish("log", ["line": .string(i == 2 ? "two\nlines" : "line \(i)")]) }
            return (s, h)
        }.value
        let port = await server.port
        let c = try HTTPSSEStreamTests.get(port, "/api/v1/workflow-runs/r1/stream")
        let first = try c.readStream { $0.contains("id: 5\n") }
        #expect(first.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(first.contains("Content-Type: text/event-stream; charset=utf-8\r\n"))
        #expect(first.contains("Cache-Control: no-cache\r\n"))
        let body = first[first.range(of: "\r\n\r\n")!.upperBound...]
        #expect(body.hasPrefix("retry: 2000\n\n"))
        #expect(body.contains(#"data: {"run_id":"r1","seq":2,"type":"log","payload":{"line":"two\nlines"}}"#))
        #expect(await server.connectionCount == 1)
        await Task { @KernelActor in hub.publish("status_change", ["status": "succeeded"]); hub.publish("end") }.value
        let all = try c.readToEOF()  // until the server closes
        #expect(c.eof)
        let frames = HTTPSSEStreamTests.frames(all)
        #expect(frames.map(\.id) == [1, 2, 3, 4, 5, 6, 7])
        #expect(frames.map(\.event) == ["log", "log", "log", "log", "log", "status_change", "end"])
        #expect(await Task { @KernelActor in hub.live.count }.value == 0)  // unsubscribed on close
        await server.closeAll()
    }

    @Test func resumesAfterLastEventIDAndQueryAfter() async throws {
        let (server, _) = try await Task { @KernelActor in
            let (s, h) = try HTTPSSEStreamTests.start()
            for _ in 1...9 { h.publish("progress") }
            h.publish("end")
            return (s, h)
        }.value
        let port = await server.port
        let a = try HTTPSSEStreamTests.get(port, "/api/v1/workflow-runs/r1/stream", lastEventID: 6)
        let textA = try a.readToEOF()
        #expect(HTTPSSEStreamTests.frames(textA).map(\.id) == [7, 8, 9, 10])
        let b = try HTTPSSEStreamTests.get(port, "/api/v1/workflow-runs/r1/stream?after=8")
        #expect(HTTPSSEStreamTests.frames(try b.readToEOF()).map(\.id) == [9, 10])
        let missing = try HTTPSSEStreamTests.get(port, "/api/v1/workflow-runs/nope/stream")
        let r = try missing.readResponse()
        #expect(r.status == 404)
        #expect(r.json["error"]?["kind"]?.stringValue == "not_found")
        let bad = try HTTPSSEStreamTests.get(port, "/api/v1/workflow-runs/r1/stream", lastEventID: nil)
        _ = bad
        await server.closeAll()
    }

    @Test func heartbeatWhenIdle() async throws {
        var limits = HTTPLimits()
        limits.sseHeartbeatMs = 50
        let (server, _) = try await Task { @KernelActor in try HTTPSSEStreamTests.start(limits) }.value
        let c = try HTTPSSEStreamTests.get(await server.port, "/api/v1/workflow-runs/r1/stream")
        let text = try c.readStream { $0.contains(": heartbeat\n\n") }
        #expect(text.contains("retry: 2000\n\n: heartbeat\n\n"))
        await server.closeAll()
    }

    @Test func slowClientIsDroppedAndResumesWithNothingLost() async throws {
        var limits = HTTPLimits()
        limits.sseQueueBytes = 256 * 1024
        let (server, hub) = try await Task { @KernelActor in try HTTPSSEStreamTests.start(limits) }.value
        let port = await server.port
        let c = try HTTPSSEStreamTests.get(port, "/api/v1/workflow-runs/r1/stream")
        _ = try c.readStream { $0.contains("retry: 2000") }
        let dropped0 = Metrics.sseDropped.value()
        // The client reads nothing while ~25 MB of events are published.
        let total = 2500
        let line = String(repeating: "x", count: 10_000)
        await Task { @KernelActor in
            for _ in 1...total { hub.publish("log", ["line": .string(line)]) }
            hub.publish("end")
        }.value
        let firstText = try c.readToEOF()
        #expect(c.eof)
        #expect(Metrics.sseDropped.value() > dropped0)
        let firstIDs = HTTPSSEStreamTests.frames(firstText).compactMap(\.id)
        let last = try #require(firstIDs.last)
        #expect(last < Int64(total + 1))
        // Resume by id (as EventSource does) until the end event arrives; a resumed
        // client that falls behind again is dropped again and resumes again.
        var union = firstIDs
        var resumes = 0
        while union.last != Int64(total + 1) && resumes < 50 {
            resumes += 1
            let d = try HTTPSSEStreamTests.get(port, "/api/v1/workflow-runs/r1/stream", lastEventID: union.last ?? 0)
            union += HTTPSSEStreamTests.frames(try d.readToEOF()).compactMap(\.id)
        }
        #expect(resumes >= 1)
        let exact = union == Array(1...Int64(total + 1))
        #expect(exact, "union of \(resumes + 1) streams has \(union.count) ids, \(Set(union).count) distinct")
        await server.closeAll()
    }

    @Test func dashboardFeedMixesRunsWithoutIdsAndStaysOpenAfterARunEnds() async throws {
        let (server, hub) = try await Task { @KernelActor in try HTTPSSEStreamTests.start() }.value
        let port = await server.port
        // A browser reconnecting with a Last-Event-ID must not break the feed.
        let c = try HTTPSSEStreamTests.get(port, "/api/v1/events", lastEventID: 42)
        _ = try c.readStream { $0.contains("retry: 2000\n\n") }
        await Task { @KernelActor in
            hub.publishFeed(run: "a", seq: 5, type: "status_change")
            hub.publishFeed(run: "b", seq: 1, type: "status_change")
            hub.publishFeed(run: "a", seq: 6, type: "end")
            hub.publishFeed(run: "c", seq: 2, type: "status_change")
        }.value
        let text = try c.readStream { $0.components(separatedBy: "event: ").count >= 5 }
        let frames = HTTPSSEStreamTests.frames(text)
        #expect(frames.map(\.event) == ["status_change", "status_change", "end", "status_change"])
        #expect(frames.allSatisfy { $0.id == nil })
        #expect(frames.map { (try? JSONParser.parse($0.data))?["run_id"]?.stringValue ?? "" } == ["a", "b", "a", "c"])
        #expect(await server.connectionCount == 1)
        await server.closeAll()
        #expect(await Task { @KernelActor in hub.feed.count }.value == 0)
    }
}
