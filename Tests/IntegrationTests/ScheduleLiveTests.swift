import Foundation
import Glibc
import HTTPTestSupport
import KernelClient
import KernelCore
import Testing

/// Schedules through real kernels (issue 18): a 6-field every-second schedule fires exactly once
/// per tick with two kernels on one PostgreSQL and across a restart (each tick is claimed in
/// the store); runs carry `trigger: {kind: "schedule", id}`; CRUD, pause/resume, validation and
/// next fire times over the socket, REST and the CLI.
@Suite(.serialized) struct ScheduleLiveTests {
    typealias Fixture = EngineLiveTests.Fixture

    static func ticker(_ f: Fixture) throws {
        try f.component("tick", ["type": "Utility", "operation": "template", "template": "tick ${inputs.label}"])
        try f.workflow("ticker", [
            "inputs": ["type": "object", "properties": ["label": ["type": "string"]], "required": ["label"]],
            "steps": [["id": "t", "component": "tick", "inputs": ["label": "${inputs.label}"]]],
            "outputs": ["text": "${steps.t.result.text}"],
        ])
    }

    static func waitUntil(_ what: String, timeout: Double = 90, state: () -> String = { "" }, _ cond: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try cond() { return }
            usleep(100_000)
        }
        throw KernelError.unavailable("timed out waiting for \(what) \(state())")
    }

    static func ticks(_ k: KernelProcess, _ id: String) throws -> [JSON] {
        try k.call("schedule.ticks", ["id": .string(id), "limit": 500])["items"]?.arrayValue ?? []
    }

    @Test func everySecondScheduleFiresOncePerTickAcrossTwoKernelsAndARestart() throws {
        guard let pg = BundledExecutorLiveTests.pgURL else { return }
        let env = ["DATABASE_URL": pg, "MCPK_MAX_CONCURRENT_STEPS": "4"]
        let homeA = KernelProcess.makeHome(), homeB = KernelProcess.makeHome()
        var a: Fixture? = try Fixture(env: env, home: homeA)
        let f = try #require(a)
        try Self.ticker(f)
        let created = try f.kernel.call("schedule.create", ["name": f.name("every-second"), "workflow": f.name("ticker"),
                                                            "cron": "* * * * * *", "inputs": ["label": "s"], "catchup": "all", "overlap": "queue"])
        let id = try #require(created["id"]?.stringValue)
        #expect(created["next_fire_at"]?.stringValue != nil, "\(created)")
        let kernelA = f.kernel
        try Self.waitUntil("3 ticks on kernel A") { try Self.ticks(kernelA, id).count >= 3 }

        // Restart A (a gap of a few seconds), and start B on the same database.
        kernelA.stop()
        usleep(2_500_000)
        let tag = f.tag
        a = nil
        let a2 = try KernelProcess.start(home: homeA, env: env)
        defer { a2.stop() }
        let b = try KernelProcess.start(home: homeB, env: env)
        defer { b.stop() }
        let before = try Self.ticks(a2, id).count
        try Self.waitUntil("6 more ticks with two kernels") { try Self.ticks(b, id).count >= before + 6 }
        _ = try b.call("schedule.pause", ["id": .string(id)])
        #expect(try b.call("schedule.get", ["id": .string(id)])["next_fire_at"] == .null)
        // Every tick's run ends (queued ticks start after their predecessor).
        try Self.waitUntil("every tick to have a finished run", timeout: 120, state: { "\((try? Self.ticks(b, id)) ?? [])" }) {
            let ts = try Self.ticks(b, id)
            return try ts.allSatisfy { t in
                guard t["outcome"] == "started", let r = t["run_id"]?.stringValue else { return false }
                let s = try b.call("run.get", ["id": .string(r)])["status"]?.stringValue ?? ""
                return ["succeeded", "failed", "cancelled", "timed_out"].contains(s)
            }
        }

        let ticks = try Self.ticks(b, id)
        let seconds = ticks.compactMap { $0["tick"]?.stringValue }.map(Self.epochSeconds).sorted()
        #expect(seconds.count >= 9)
        // Exactly once per tick: consecutive seconds from the first to the last, none twice, none missing.
        #expect(Set(seconds).count == seconds.count)
        if let first = seconds.first, let last = seconds.last {
            #expect(Array(first...last) == seconds, "ticks \(seconds)")
        }
        let runIDs = ticks.compactMap { $0["run_id"]?.stringValue }
        #expect(Set(runIDs).count == ticks.count)
        let runs = try b.call("run.list", ["workflow": .string("ticker" + tag), "limit": 500])["items"]?.arrayValue ?? []
        #expect(runs.count == ticks.count, "one run per tick (\(runs.count) runs, \(ticks.count) ticks)")
        for r in runs {
            #expect(r["trigger"]?["kind"] == "schedule" && r["trigger"]?["id"] == .string(id), "\(r["trigger"] ?? .null)")
            #expect(r["status"] == "succeeded")
        }
        let owners = Set(ticks.compactMap { $0["owner"]?.stringValue })
        print("ScheduleLiveTests: \(ticks.count) ticks, claimed by \(owners.count) kernel(s)")
        _ = try b.call("schedule.delete", ["id": .string(id)])
    }

    static func epochSeconds(_ rfc3339: String) -> Int64 {
        let p = rfc3339.split(whereSeparator: { "-T:.Z".contains($0) }).compactMap { Int64($0) }
        return CivilTime.days(year: p[0], month: Int(p[1]), day: Int(p[2])) * 86_400 + p[3] * 3600 + p[4] * 60 + p[5]
    }

    @Test func crudValidationNextFireRESTAndCLI() throws {
        let port = HTTPTestClient.freePort()
        let f = try Fixture(env: ["MCPK_HTTP": "127.0.0.1:\(port)"])
        try Self.ticker(f)
        // Every bad field at once, with paths.
        do {
            _ = try f.kernel.call("schedule.create", ["name": f.name("bad"), "workflow": f.name("ticker"), "cron": "61 * * * *",
                                                      "timezone": "Mars/Olympus", "catchup": "sometimes", "overlap": "never"])
            Issue.record("a bad schedule was accepted")
        } catch ControlClient.ClientError.rpc(_, _, _, let errors) {
            #expect(Set(errors.map(\.path)) == ["cron", "timezone", "catchup", "overlap"], "\(errors)")
        }
        do {
            _ = try f.kernel.call("schedule.create", ["name": f.name("bad2"), "workflow": f.name("ticker"), "cron": "@daily", "inputs": ["label": 5]])
            Issue.record("inputs failing the workflow's schema were accepted")
        } catch ControlClient.ClientError.rpc(_, _, _, let errors) {
            #expect(errors.contains { $0.path.contains("label") }, "\(errors)")
        }
        // New Year in Berlin: 2026/27 → 31 Dec 23:00 UTC.
        let s = try f.kernel.call("schedule.create", ["name": f.name("new-year"), "workflow": f.name("ticker"), "cron": "0 0 1 1 *",
                                                      "timezone": "Europe/Berlin", "inputs": ["label": "ny"]])
        let id = try #require(s["id"]?.stringValue)
        #expect(s["next_fire_at"]?.stringValue?.hasSuffix("-12-31T23:00:00.000Z") == true, "\(s)")
        #expect(s["catchup"] == "none" && s["overlap"] == "skip" && s["state"] == "active" && s["version_policy"] == "latest")
        let list = try f.kernel.call("schedule.list")
        #expect(list["items"]?.arrayValue?.count == 1 && list["next_cursor"] != nil)
        let paused = try f.kernel.call("schedule.pause", ["id": .string(id)])
        #expect(paused["state"] == "paused" && paused["next_fire_at"] == .null)
        let resumed = try f.kernel.call("schedule.resume", ["id": .string(id)])
        #expect(resumed["state"] == "active" && resumed["next_fire_at"] == s["next_fire_at"])
        let updated = try f.kernel.call("schedule.update", ["id": .string(id), "cron": "@hourly", "timezone": "UTC"])
        #expect(updated["next_fire_at"]?.stringValue?.hasSuffix(":00:00.000Z") == true)

        let (status, body) = try Self.get(port, "/api/v1/schedules")
        #expect(status == 200 && body.contains(id), "\(body)")
        let (rc, out, err) = try f.kernel.cli(["schedules", "list"])
        #expect(rc == 0, "\(err)")
        #expect(out.contains("@hourly") && out.contains("NEXT"), "\(out)")
        let (rc2, _, _) = try f.kernel.cli(["schedules", "delete", id])
        #expect(rc2 == 0)
        #expect(throws: (any Error).self) { try f.kernel.call("schedule.get", ["id": .string(id)]) }
    }

    static func get(_ port: Int, _ path: String) throws -> (Int, String) {
        let (rc, out, err) = try KernelProcess.run("/usr/bin/curl", ["-s", "-w", "\n%{http_code}", "http://127.0.0.1:\(port)\(path)"])
        guard rc == 0 else { throw KernelError.unavailable("curl: \(err)") }
        let lines = out.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }
}

extension ScheduleLiveTests {
    /// Ticks missed while no kernel ran (the late tolerance lowered to 1 s): `none` skips them,
    /// `last` runs the newest one, `all` runs every one — each tick still at most once.
    @Test(arguments: ["none", "last", "all"]) func catchupAfterDowntime(catchup: String) throws {
        let home = KernelProcess.makeHome()
        let env = ["MCPK_SCHEDULE_LATE_TOLERANCE_S": "1"]
        var f: Fixture? = try Fixture(env: env, home: home)
        let fx = try #require(f)
        try Self.ticker(fx)
        let s = try fx.kernel.call("schedule.create", ["name": fx.name("c"), "workflow": fx.name("ticker"), "cron": "* * * * * *",
                                                      "inputs": ["label": "c"], "catchup": .string(catchup), "overlap": "queue"])
        let id = try #require(s["id"]?.stringValue)
        let k1 = fx.kernel
        try Self.waitUntil("2 ticks") { try Self.ticks(k1, id).count >= 2 }
        k1.stop()
        let stoppedAt = Int64(Date().timeIntervalSince1970)
        usleep(5_000_000)  // downtime: about 5 missed ticks, all older than the 1 s tolerance at restart
        f = nil
        let k2 = try KernelProcess.start(home: home, env: env)
        defer { k2.stop() }
        let restartedAt = Int64(Date().timeIntervalSince1970)
        try Self.waitUntil("ticks after the restart") {
            try Self.ticks(k2, id).contains { Self.epochSeconds($0["tick"]?.stringValue ?? "") > restartedAt + 1 }
        }
        _ = try k2.call("schedule.pause", ["id": .string(id)])
        let seconds = try Self.ticks(k2, id).compactMap { $0["tick"]?.stringValue }.map(Self.epochSeconds).sorted()
        #expect(Set(seconds).count == seconds.count, "no tick twice: \(seconds)")
        // Ticks of the downtime window that clearly nobody could run on time.
        let missed = seconds.filter { $0 > stoppedAt + 1 && $0 < restartedAt - 2 }
        switch catchup {
        case "none": #expect(missed.isEmpty, "none: \(seconds)")
        case "last": #expect(missed.count <= 1 && seconds.contains { $0 > stoppedAt + 1 && $0 <= restartedAt }, "last: \(seconds)")
        default:
            if let first = seconds.first, let last = seconds.last { #expect(Array(first...last) == seconds, "all: \(seconds)") }
        }
    }
}
