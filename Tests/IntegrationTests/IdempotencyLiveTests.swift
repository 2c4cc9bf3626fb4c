import Foundation
import Glibc
import HTTPTestSupport
import KernelClient
import KernelCore
import Testing

/// `workflow.run {idempotency_key}` (issue 17) through real `mcpk serve` kernels: one key
/// submitted 20 times at once (20 connections; on PostgreSQL split over two kernels sharing the
/// database) starts exactly one run and every caller gets that run back; the `Idempotency-Key`
/// header on the REST run route does the same; the key on another workflow is a conflict.
@Suite("Live: idempotent workflow.run", .serialized)
struct IdempotencyLiveTests {
    static let submits = 20

    /// Each submit on its own thread and connection, released together.
    static func submitConcurrently(_ kernels: [KernelProcess], _ params: JSON) -> [Result<JSON, Error>] {
        final class Replies: @unchecked Sendable {
            let lock = NSLock()
            var all: [Result<JSON, Error>] = []
            func add(_ r: Result<JSON, Error>) { lock.lock(); all.append(r); lock.unlock() }
        }
        let replies = Replies()
        let group = DispatchGroup()
        let start = DispatchSemaphore(value: 0)
        for i in 0..<submits {
            let socketPath = kernels[i % kernels.count].socketPath
            group.enter()
            let t = Thread {
                defer { group.leave() }
                let client: ControlClient
                do { client = try ControlClient(path: socketPath) } catch {
                    replies.add(.failure(error))
                    return
                }
                start.wait()
                replies.add(Result { try client.call("workflow.run", params) })
            }
            t.start()
        }
        usleep(200_000)
        for _ in 0..<submits { start.signal() }
        group.wait()
        return replies.all
    }

    @Test(arguments: LiveBackend.enabled)
    func oneKeyStartsOneRun(_ backend: LiveBackend) throws {
        let port = HTTPTestClient.freePort()
        let env = try backend.environment()
        let a = try EngineLiveTests.Fixture(env: env.merging(["MCPK_HTTP": "127.0.0.1:\(port)"]) { $1 })
        // PostgreSQL: a second kernel on the same database takes half of the submits.
        let b = backend == .postgres ? try KernelProcess.start(env: env) : nil
        defer { b?.stop() }
        try a.component("echo", ["type": "Utility", "operation": "template", "template": "hi ${inputs.who}"])
        try a.workflow("idem", ["steps": [["id": "t", "component": "echo", "inputs": ["who": "you"]]]])
        try a.workflow("other", ["steps": [["id": "t", "component": "echo", "inputs": ["who": "me"]]]])
        let key = "order-\(Int.random(in: 100_000..<999_999))"

        let results = Self.submitConcurrently([a.kernel] + (b.map { [$0] } ?? []), ["id": a.name("idem"), "idempotency_key": .string(key)])
        let replies = results.compactMap { try? $0.get() }
        #expect(replies.count == Self.submits, "every submit answers: \(results.filter { (try? $0.get()) == nil })")
        let runIDs = Set(replies.compactMap { $0["run_id"]?.stringValue })
        #expect(runIDs.count == 1, "one run for one key, got \(runIDs)")
        #expect(replies.filter { $0["replayed"] == true }.count == Self.submits - 1)
        let runID = try #require(runIDs.first)
        let listed = try a.kernel.call("run.list", ["workflow": a.name("idem")])["items"]?.arrayValue ?? []
        #expect(listed.count == 1, "\(listed.count) runs stored")
        #expect(try a.wait(runID)["status"] == "succeeded")
        let audits = try a.kernel.call("audit.list", ["entity_id": .string(runID)])["items"]?.arrayValue ?? []
        #expect(audits.contains { $0["details"]?["idempotency_key"]?.stringValue == key }, "\(audits)")

        // The REST route's Idempotency-Key header: the same run again; a fresh key a new run.
        let path = "/api/v1/workflows/\(a.name("idem").stringValue ?? "")/runs"
        let again = try HTTPTestClient.request(port: port, "POST", path, body: "{}", headers: ["Idempotency-Key": key])
        #expect(again.status == 202, "\(again.text)")
        #expect(again.json["run_id"]?.stringValue == runID && again.json["replayed"] == true, "\(again.text)")
        let fresh = try HTTPTestClient.request(port: port, "POST", path, body: "{}", headers: ["Idempotency-Key": key + "-2"])
        #expect(fresh.status == 202 && fresh.json["run_id"]?.stringValue != runID, "\(fresh.text)")
        #expect(fresh.json["replayed"] == nil)

        // The key names a run of another workflow: refused, nothing started.
        let clash = rpcError { try a.kernel.call("workflow.run", ["id": a.name("other"), "idempotency_key": .string(key)]) }
        #expect(clash?.kind == "conflict", "\(String(describing: clash))")
        #expect((try a.kernel.call("run.list", ["workflow": a.name("other")])["items"]?.arrayValue ?? []).isEmpty)
        // A key over the limit names the limit.
        let long = rpcError { try a.kernel.call("workflow.run", ["id": a.name("idem"), "idempotency_key": .string(String(repeating: "k", count: 201))]) }
        #expect(long?.kind == "invalid_params", "\(String(describing: long))")
    }
}
