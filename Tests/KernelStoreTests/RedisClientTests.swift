import Glibc
import Testing
import KernelCore
import KernelLoop
@testable import KernelStore

/// The test Redis: `MCPK_TEST_REDIS_URL` (set by `make test`, from scripts/redis-test.sh). Without
/// it these cases are skipped, except under `CI=true`, where they fail.
enum RedisTestServer {
    static var url: String? {
        guard let p = getenv("MCPK_TEST_REDIS_URL") else { return nil }
        let s = String(cString: p)
        return s.isEmpty ? nil : s
    }

    static var enabled: Bool {
        if url != nil || Backend.isCI { return true }
        print("KernelStoreTests: MCPK_TEST_REDIS_URL is not set: skipping the Redis cases (run `make test` or scripts/redis-test.sh start)")
        return false
    }

    @KernelActor
    static func client() async throws -> RedisClient {
        guard let url else { throw KernelError.unavailable("MCPK_TEST_REDIS_URL is not set but CI=true: Redis tests cannot run") }
        let c = RedisClient(endpoint: try RedisEndpoint.parse(url: url))
        try await c.connect()
        return c
    }
}

@Suite("Redis endpoint settings")
struct RedisEndpointTests {
    @Test func parsesURLs() throws {
        #expect(try RedisEndpoint.parse(url: "redis://cache.local") == RedisEndpoint(host: "cache.local"))
        #expect(try RedisEndpoint.parse(url: "redis://:s3cret@10.0.0.5:6380/2")
                == RedisEndpoint(host: "10.0.0.5", port: 6380, password: "s3cret", database: 2))
        #expect(try RedisEndpoint.parse(url: "redis://user:pw@[::1]:7000") == RedisEndpoint(host: "::1", port: 7000, password: "pw"))
        #expect(try RedisEndpoint.parse(url: "redis://:pw@h:1/0").redacted == "redis://:***@h:1/0")
    }

    @Test func badURLsNameTheSettingAndValue() {
        for (bad, needle) in [("http://h", "must start with redis://"), ("redis://h:0", "port must be 1…65535 (got '0')"),
                              ("redis://h:x", "got 'x'"), ("redis://h/db", "database must be a number"), ("redis://:pw@", "has no host")] {
            do {
                _ = try RedisEndpoint.parse(url: bad)
                Issue.record("\(bad) was accepted")
            } catch let e as KernelError {
                #expect(e.message.contains("REDIS_URL") && e.message.contains(needle), "\(bad): \(e.message)")
            } catch { Issue.record("\(error)") }
        }
    }
}

@Suite("Redis client on the loop (real redis-server)", .enabled(if: RedisTestServer.enabled))
@KernelActor
struct RedisClientTests {
    @Test("commands: status, bulk (binary-safe), integer, null, array and error replies")
    func commands() async throws {
        let c = try await RedisTestServer.client()
        defer { c.close() }
        let key = "mcpk-test:" + Identifier.uuid()
        #expect(try await c.command(["SET", key, "a\u{0}b é"]) == .status("OK"))
        #expect(try await c.command(["GET", key]) == .bulk(Array("a\u{0}b é".utf8)))
        #expect(try await c.command(["DEL", key]) == .integer(1))
        #expect(try await c.command(["MGET", key, key + ":none"]) == .array([.null, .null]))
        guard case .error(let e) = try await c.command(["NOSUCHCOMMAND"]) else { Issue.record("no error reply"); return }
        #expect(e.contains("unknown command"))
        await #expect(throws: KernelError.self) { try await c.checked(["NOSUCHCOMMAND"]) }
    }

    @Test("pub/sub: every message arrives once and in order")
    func publishSubscribe() async throws {
        let pub = try await RedisTestServer.client()
        let sub = try await RedisTestServer.client()
        defer { pub.close(); sub.close() }
        let channel = "mcpk-test:" + Identifier.uuid()
        var got: [String] = []
        var waiter: CheckedContinuation<Void, Never>?
        let total = 100
        sub.onMessage = { ch, payload in
            #expect(ch == channel)
            let text = String(decoding: payload, as: UTF8.self)
            if text == "warmup" { return }
            got.append(text)
            if got.count == total { waiter?.resume(); waiter = nil }
        }
        try sub.subscribe([channel])
        // PUBLISH answers with the number of receivers: 1 once the SUBSCRIBE has been processed.
        var receivers: RedisReply = .integer(0)
        for _ in 0..<10_000 where receivers != .integer(1) { receivers = try await pub.command(["PUBLISH", channel, "warmup"]) }
        #expect(receivers == .integer(1))
        for i in 0..<total { _ = try await pub.checked(["PUBLISH", channel, "m\(i)"]) }
        if got.count < total { await withCheckedContinuation { waiter = $0 } }
        #expect(got == (0..<total).map { "m\($0)" })
    }

    @Test("a killed connection reports its loss once; commands then fail with unavailable")
    func connectionLoss() async throws {
        let admin = try await RedisTestServer.client()
        let victim = try await RedisTestServer.client()
        defer { admin.close() }
        let name = "mcpk-victim-" + Identifier.uuid()
        try await victim.checked(["CLIENT", "SETNAME", name])
        var reason: String??
        var waiter: CheckedContinuation<Void, Never>?
        victim.onDisconnect = { r in reason = .some(r); waiter?.resume(); waiter = nil }
        guard case .bulk(let list) = try await admin.checked(["CLIENT", "LIST"]),
              let line = String(decoding: list, as: UTF8.self).split(separator: "\n").first(where: { $0.contains("name=\(name)") }),
              let id = line.split(separator: " ").first(where: { $0.hasPrefix("id=") })?.dropFirst(3)
        else { Issue.record("victim not in CLIENT LIST"); return }
        #expect(try await admin.command(["CLIENT", "KILL", "ID", String(id)]) == .integer(1))
        if reason == nil { await withCheckedContinuation { waiter = $0 } }
        #expect(reason != nil && reason! != nil, "a lost connection has a reason")
        #expect(victim.state == .closed)
        await #expect(throws: KernelError.self) { try await victim.command(["PING"]) }
    }

    @Test("unsubscribe stops a channel's messages; the other channel keeps them")
    func unsubscribe() async throws {
        let pub = try await RedisTestServer.client()
        let sub = try await RedisTestServer.client()
        defer { pub.close(); sub.close() }
        let a = "mcpk-test:a:" + Identifier.uuid(), b = "mcpk-test:b:" + Identifier.uuid()
        var got: [String] = []
        var waiter: CheckedContinuation<Void, Never>?
        sub.onMessage = { ch, payload in
            got.append("\(ch == a ? "a" : "b"):\(String(decoding: payload, as: UTF8.self))")
            if got.last?.hasSuffix(":last") == true { waiter?.resume(); waiter = nil }
        }
        try sub.subscribe([a, b])
        var receivers: RedisReply = .integer(0)
        for _ in 0..<10_000 where receivers != .integer(1) { receivers = try await pub.command(["PUBLISH", b, "warmup"]) }
        try sub.unsubscribe([a])
        // PUBLISH to a answers 0 receivers once the UNSUBSCRIBE has been processed.
        receivers = .integer(1)
        for _ in 0..<10_000 where receivers != .integer(0) { receivers = try await pub.command(["PUBLISH", a, "gone"]) }
        #expect(receivers == .integer(0))
        _ = try await pub.checked(["PUBLISH", b, "last"])
        if got.last?.hasSuffix(":last") != true { await withCheckedContinuation { waiter = $0 } }
        #expect(!got.contains { $0.hasPrefix("a:") })
        #expect(got.last == "b:last")
    }

    @Test("a server that accepts but never answers: the command fails within the reply limit")
    func replyTimeout() async throws {
        // A listening socket nobody accepts from: the kernel completes the handshake, no reply ever comes.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { Glibc.close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && listen(fd, 4) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        #expect(bound)
        let c = RedisClient(endpoint: RedisEndpoint(host: "127.0.0.1", port: Int(UInt16(bigEndian: addr.sin_port))))
        try await c.connect()
        do {
            _ = try await c.command(["PING"])
            Issue.record("a reply came from a server that never answers")
        } catch let e as KernelError {
            #expect(e.kind == .unavailable)
        }
        #expect(c.state == .closed)
        #expect(c.lastError?.contains("no reply within") == true)
    }

    @Test("an unreachable server is unavailable, not a hang")
    func unreachable() async throws {
        let c = RedisClient(endpoint: RedisEndpoint(host: "127.0.0.1", port: 1))
        do {
            try await c.connect()
            Issue.record("connected to port 1")
        } catch let e as KernelError {
            #expect(e.kind == .unavailable)
            #expect(e.message.contains("127.0.0.1:1"))
        }
        #expect(c.state == .closed)
    }
}
