import Glibc
import KernelCore
import KernelLoop
import Testing
@testable import KernelSandbox

/// Warm runners keep every guarantee of a cold step: each attempt is a fresh fork
/// with its own files, processes and Python state; what one attempt leaves behind
/// never reaches the next; runners are retired by count, idleness, component change
/// and death, and the next attempt still runs.
@Suite(.serialized) @KernelActor struct WarmRunnerTests {
    /// One component: `phase` "write" leaves every kind of trace, "check" looks for them.
    static let tracer = """
    import ctypes, json, os, string, subprocess, sys, threading, time
    import mcpk
    def main(phase):
        if phase == "write":
            open("left.txt", "w").write("x")
            open("/tmp/left.txt", "w").write("x")
            open("/dev/shm/left.txt", "w").write("x")
            libc = ctypes.CDLL(None)
            shm = libc.shmget(0x4d43504b, 4096, 0o1000 | 0o600)
            mcpk.LEAKED = "module state"
            string.ascii_letters = "patched"
            json.JSONEncoder.item_separator = "patched"
            os.environ["LEAKED_ENV"] = "1"
            threading.Thread(target=time.sleep, args=(300,), daemon=False).start()
            subprocess.Popen(["/bin/sleep", "300"], start_new_session=True)
            if os.fork() == 0:
                os.setsid()
                if os.fork() == 0:
                    time.sleep(300)
                os._exit(0)
            return {"pid": os.getpid(), "shm": shm}
        others = []
        for e in os.listdir("/proc"):
            if e.isdigit() and int(e) not in (1, os.getpid(), os.getppid()):
                try:
                    others.append(open("/proc/%s/cmdline" % e).read().replace("\\0", " "))
                except OSError:
                    pass
        shm_rows = open("/proc/sysvipc/shm").read().splitlines()[1:]
        return {"pid": os.getpid(), "work": os.path.exists("left.txt"), "tmp": os.path.exists("/tmp/left.txt"),
                "shm_file": os.path.exists("/dev/shm/left.txt"), "sysv": len(shm_rows),
                "module": hasattr(mcpk, "LEAKED"), "patched": string.ascii_letters == "patched" or json.JSONEncoder.item_separator == "patched",
                "env": os.environ.get("LEAKED_ENV"), "others": others}
    """

    func until(_ seconds: Double = 20, _ condition: () -> Bool) async {
        let deadline = Timestamp.now().milliseconds + Int64(seconds * 1000)
        while !condition() && Timestamp.now().milliseconds < deadline {
            try? await Task.sleep(nanoseconds: 50_000_000)
        }
    }

    @Test func nothingPassesFromOneAttemptToTheNext() async throws {
        let f = await SandboxFixture(warm: true)
        defer { f.cleanup() }
        let w = try await f.python(WarmRunnerTests.tracer, inputs: ["phase": "write"])
        #expect(w.succeeded, "\(w.failureSummary)")
        #expect((w.result?["shm"]?.intValue ?? -1) >= 0, "the step could create a SysV segment: \(String(describing: w.result))")
        let c = try await f.python(WarmRunnerTests.tracer, inputs: ["phase": "check"])
        #expect(c.succeeded, "\(c.failureSummary)")
        let r = c.result
        #expect(r?["work"] == false)
        #expect(r?["tmp"] == false)
        #expect(r?["shm_file"] == false)
        #expect(r?["sysv"] == 0)
        #expect(r?["module"] == false)
        #expect(r?["patched"] == false)
        #expect(r?["env"] == .null)
        #expect(r?["others"] == .array([]), "processes left by the previous attempt: \(String(describing: r?["others"]))")
        #expect(r?["pid"] != w.result?["pid"])
        // Both attempts were forks of ONE runner.
        let report = f.sandbox.runners.report
        #expect(report["runners_started"] == 1)
        #expect(report["warm_attempts"] == 2)
        #expect(f.warmStragglers() == 0)
        // The first attempt's files were kept in its own work dir, as for a cold step.
        #expect(access(w.workDirectory + "/left.txt", F_OK) == 0)
        #expect(access(c.workDirectory + "/left.txt", F_OK) != 0)
    }

    @Test func aRunnerIsRetiredAfterMaxSteps() async throws {
        let f = await SandboxFixture(runners: RunnerSettings(enabled: true, maxSteps: 2))
        defer { f.cleanup() }
        for i in 0..<3 {
            let o = try await f.python("def main(i):\n    return i * 2\n", inputs: ["i": JSON(i)])
            #expect(o.succeeded && o.result == JSON(i * 2), "\(o.failureSummary)")
        }
        await until { f.sandbox.runners.report["retired"]?["max_steps"] == 1 }
        let report = f.sandbox.runners.report
        #expect(report["retired"]?["max_steps"] == 1, "\(report)")
        #expect(report["runners_started"] == 2)
    }

    @Test func aRunnerIsRetiredWhenItsComponentChanges() async throws {
        let f = await SandboxFixture(warm: true)
        defer { f.cleanup() }
        let code = "def main():\n    return 'v1'\n"
        let o = try await f.python(code)
        #expect(o.succeeded && o.result == "v1", "\(o.failureSummary)")
        #expect(f.sandbox.runners.runnerCount == 1)
        let owner = f.sandbox.runners.report["pools"]?.arrayValue?.first?["component_id"]?.stringValue
        f.sandbox.runners.retire(componentID: owner ?? "")
        await until { f.sandbox.runners.runnerCount == 0 }
        #expect(f.sandbox.runners.runnerCount == 0)
        #expect(f.sandbox.runners.report["retired"]?["component_changed"] == 1)
        let again = try await f.python(code)
        #expect(again.succeeded && again.result == "v1", "\(again.failureSummary)")
        #expect(f.sandbox.runners.report["runners_started"] == 2)
    }

    @Test func aTimedOutAttemptIsKilledAndTheNextOneRuns() async throws {
        let f = await SandboxFixture(warm: true)
        defer { f.cleanup() }
        let code = "import time\ndef main(sleep):\n    if sleep: time.sleep(600)\n    return 'done'\n"
        let slow = try await f.python(code, inputs: ["sleep": true], timeoutMs: 1_500)
        #expect(slow.termination == .timedOut, "\(slow.termination)")
        #expect(f.warmStragglers() == 0)
        let fast = try await f.python(code, inputs: ["sleep": false])
        #expect(fast.succeeded && fast.result == "done", "\(fast.failureSummary)")
    }

    @Test func aStepThatKillsItsRunnerFailsAloneAndTheNextAttemptGetsANewRunner() async throws {
        let f = await SandboxFixture(warm: true)
        defer { f.cleanup() }
        let code = "import os, signal\ndef main(kill):\n    if kill: os.kill(os.getppid(), signal.SIGKILL)\n    return 'alive'\n"
        let killer = try await f.python(code, inputs: ["kill": true])
        #expect(!killer.succeeded)
        await until { f.sandbox.runners.report["retired"]?["died"] == 1 }
        #expect(f.sandbox.runners.report["retired"]?["died"] == 1, "\(f.sandbox.runners.report)")
        let next = try await f.python(code, inputs: ["kill": false])
        #expect(next.succeeded && next.result == "alive", "\(next.failureSummary)")
        #expect(f.sandbox.runners.report["runners_started"] == 2)
    }

    @Test func theSandboxProfileSeparatesPools() async throws {
        let f = await SandboxFixture(warm: true)
        defer { f.cleanup() }
        let code = "import socket\ndef main():\n    return len(socket.if_nameindex())\n"
        let isolated = try await f.python(code)
        let networked = try await f.python(code, network: true)
        #expect(isolated.succeeded && networked.succeeded, "\(isolated.failureSummary) \(networked.failureSummary)")
        // Without network the step sees only loopback; the networked runner is a pool of its own.
        #expect(isolated.result == 1)
        #expect(f.sandbox.runners.report["runners_started"] == 2)
    }

    @Test func settingsAreValidated() throws {
        #expect(try RunnerSettings.from([:]) == RunnerSettings())
        #expect(try RunnerSettings.from(["MCPK_RUNNERS": "off"]).enabled == false)
        #expect(try RunnerSettings.from(["MCPK_RUNNER_MAX_STEPS": "7"]).maxSteps == 7)
        #expect(throws: KernelError.self) { try RunnerSettings.from(["MCPK_RUNNER_IDLE_SECONDS": "soon"]) }
        #expect(throws: KernelError.self) { try RunnerSettings.from(["MCPK_RUNNERS": "maybe"]) }
        // The kernel's step limit sizes the pools (a full pool spawns cold), unless a setting says otherwise.
        let wide = try RunnerSettings.from([:], stepConcurrency: 24)
        #expect(wide.maxPerPool == 24 && wide.maxTotal == 24)
        #expect(try RunnerSettings.from([:], stepConcurrency: 3).maxTotal == RunnerSettings.defaultMaxTotal)
        #expect(try RunnerSettings.from(["MCPK_RUNNER_MAX_PER_POOL": "2"], stepConcurrency: 8).maxPerPool == 2)
    }
}
