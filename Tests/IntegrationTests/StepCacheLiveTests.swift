import Foundation
import Glibc
import KernelClient
import KernelCore
import Testing

/// Where a live kernel keeps step result cache entries in these tests.
enum CacheBackend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres, redis
    var testDescription: String { rawValue }

    static var redisURL: String? {
        guard let p = getenv("MCPK_TEST_REDIS_URL"), p.pointee != 0 else { return nil }
        return String(cString: p)
    }

    static var enabled: [CacheBackend] {
        var out: [CacheBackend] = [.sqlite]
        if LiveBackend.pgURL != nil || LiveBackend.isCI { out.append(.postgres) }
        if redisURL != nil || LiveBackend.isCI { out.append(.redis) }
        if out.count < 3 { print("StepCacheLiveTests: MCPK_TEST_PG_URL / MCPK_TEST_REDIS_URL not set: skipping those backends (run `make test`)") }
        return out
    }

    func environment() throws -> [String: String] {
        switch self {
        case .sqlite: return [:]
        case .postgres: return try LiveBackend.postgres.environment()
        case .redis:
            guard let url = CacheBackend.redisURL else { throw KernelError.unavailable("MCPK_TEST_REDIS_URL is not set but CI=true") }
            // Database 1: entries of this test never meet other tests' keys.
            return ["REDIS_URL": url.replacingOccurrences(of: "/0", with: "/1")]
        }
    }
}

/// The step result cache (issue 14) through a real kernel on each backend: an identical attempt
/// reuses the stored result (`cached`, with `cached_from`), different inputs or a different
/// `cache.key` miss, an expired entry misses, and a failure is never cached.
struct StepCacheLiveTests {
    static let ttlSeconds = 2.0

    @Test(arguments: CacheBackend.enabled)
    func hitMissAndExpiry(_ backend: CacheBackend) throws {
        let env = try backend.environment()
        let k = try KernelProcess.start(env: env)
        defer { k.stop() }
        let tag = "-" + String(Int.random(in: 100_000..<999_999))
        _ = try k.call("component.create", ["name": .string("tok" + tag), "config": ["type": "Python Script", "codeContent": """
        import uuid
        def main(x, secrets=None):
            if x < 0:
                raise ValueError("negative")
            return {"token": uuid.uuid4().hex, "x": x}
        """]])
        func workflow(_ name: String, key: String?) throws {
            var cache = JSONObject()
            cache["ttlSeconds"] = .double(Self.ttlSeconds)
            if let key { cache["key"] = .string(key) }
            _ = try k.call("workflow.create", ["name": .string(name + tag), "definition": [
                "inputs": ["type": "object", "properties": ["x": ["type": "integer"]]],
                "steps": [["id": "t", "component": .string("tok" + tag), "inputs": ["x": "${inputs.x}"], "cache": .object(cache)]]]])
        }
        try workflow("plain", key: nil)
        try workflow("keyed", key: "v2")
        func run(_ wf: String, _ x: Int) throws -> JSON {
            let id = try #require(try k.call("workflow.run", ["id": .string(wf + tag), "inputs": ["x": .int(Int64(x))]])["run_id"]?.stringValue)
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline {
                let r = try k.call("run.get", ["id": .string(id)])
                if let s = r["status"]?.stringValue, RunStatus(rawValue: s)?.isTerminal == true { return r }
                usleep(20_000)
            }
            throw KernelError.unavailable("run \(id) did not finish")
        }
        func step(_ r: JSON) -> JSON { r["steps"]?.arrayValue?.first ?? .null }
        func token(_ r: JSON) -> String? { step(r)["result"]?["token"]?.stringValue }

        let first = try run("plain", 1)
        #expect(first["status"] == "succeeded" && step(first)["status"] == "succeeded", "\(first)")
        let firstFinished = Date()
        // The entry is saved after the attempt succeeded: wait until the kernel counted the save.
        let savedBy = Date().addingTimeInterval(10)
        while Date() < savedBy, try k.call("kernel.status")["engine"]?["cache"]?["saves"]?.intValue ?? 0 < 1 { usleep(10_000) }

        let hit = try run("plain", 1)
        #expect(hit["status"] == "succeeded")
        #expect(step(hit)["status"] == "cached", "\(hit)")
        #expect(token(hit) != nil && token(hit) == token(first))
        #expect(hit["outputs"]?["t"]?["token"] == first["outputs"]?["t"]?["token"], "run outputs use the cached result")
        let events = try k.runEvents(try #require(hit["id"]?.stringValue))
        let cachedEvent = events.first { $0["type"] == "status_change" && $0["payload"]?["status"] == "cached" }
        #expect(cachedEvent?["payload"]?["cached_from"]?["run_id"] == first["id"], "\(events)")
        #expect(cachedEvent?["payload"]?["cached_from"]?["backend"]?.stringValue == (backend == .redis ? "redis" : "store"))
        #expect(events.contains { $0["type"] == "result" && $0["payload"]?["cached"] == true })
        #expect(!events.contains { $0["type"] == "status_change" && $0["payload"]?["entity"] == "step" && $0["payload"]?["status"] == "running" }, "a cached step does not run")

        let other = try run("plain", 2)
        #expect(step(other)["status"] == "succeeded" && token(other) != token(first), "different inputs miss")
        let keyed = try run("keyed", 1)
        #expect(step(keyed)["status"] == "succeeded" && token(keyed) != token(first), "a different cache.key misses")
        let failed = try run("plain", -1)
        #expect(failed["status"] == "failed")
        #expect(try run("plain", -1)["status"] == "failed", "a failure is not cached")

        // Past the TTL the entry is gone: the step runs again.
        let wait = Self.ttlSeconds + 0.3 - Date().timeIntervalSince(firstFinished)
        if wait > 0 { usleep(useconds_t(wait * 1_000_000)) }
        let expired = try run("plain", 1)
        #expect(step(expired)["status"] == "succeeded" && token(expired) != token(first), "an expired entry misses: \(expired)")
        let cache = try k.call("kernel.status")["engine"]?["cache"] ?? .null
        #expect(cache["backend"]?.stringValue == (backend == .redis ? "redis" : "store") && cache["hits"] == 1 && cache["errors"] == 0, "\(cache)")

        // A secret in the inputs changes the key, and is nowhere in the cache in clear.
        let secret = "s3cr3t-" + Identifier.uuid()
        _ = try k.call("secret.set", ["name": .string("CACHE_T" + tag.replacingOccurrences(of: "-", with: "_")), "value": .string(secret)])
        _ = try k.call("workflow.create", ["name": .string("secret" + tag), "definition": [
            "inputs": ["type": "object", "properties": ["x": ["type": "integer"]]],
            "steps": [["id": "t", "component": .string("tok" + tag),
                       "inputs": ["x": "${inputs.x}", "secrets": ["t": .string("${secrets.CACHE_T\(tag.replacingOccurrences(of: "-", with: "_"))}")]],
                       "cache": ["ttlSeconds": 60]]]]])
        let withSecret = try run("secret", 7)
        #expect(step(withSecret)["status"] == "succeeded", "\(withSecret)")
        let savesBy = Date().addingTimeInterval(10)
        while Date() < savesBy, try k.call("kernel.status")["engine"]?["cache"]?["saves"]?.intValue ?? 0 < 5 { usleep(10_000) }
        let again = try run("secret", 7)
        #expect(step(again)["status"] == "cached" && token(again) == token(withSecret), "\(again)")
        let dump = try Self.dumpCache(backend, env: env, home: k.home)
        #expect(dump.contains(token(withSecret) ?? "no token"), "the dump shows the entries: \(dump.prefix(500))")
        #expect(!dump.contains(secret), "a secret is in the cache in clear")
    }

    /// Everything the backend holds of the cache, as text.
    static func dumpCache(_ backend: CacheBackend, env: [String: String], home: String) throws -> String {
        switch backend {
        case .sqlite:
            return try KernelProcess.run("/usr/bin/sqlite3", [home + "/mcpk.db", "SELECT * FROM step_cache"]).1
        case .postgres:
            return try KernelProcess.run("/usr/bin/psql", [env["DATABASE_URL"] ?? "", "-At", "-c", "SELECT * FROM step_cache"]).1
        case .redis:
            let url = env["REDIS_URL"] ?? ""
            let keys = try KernelProcess.run("/usr/bin/redis-cli", ["-u", url, "--scan", "--pattern", "mcpk:cache:*"]).1
            var out = keys
            for key in keys.split(separator: "\n") { out += try KernelProcess.run("/usr/bin/redis-cli", ["-u", url, "GET", String(key)]).1 }
            return out
        }
    }
}
