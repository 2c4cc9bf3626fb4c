import Glibc
import KernelCore
import KernelLoop
import Testing
@testable import KernelSandbox

/// Each isolation layer, checked from inside a step that tries to undo it.
@Suite(.serialized) @KernelActor struct SandboxLayerTests {
    /// Polls (100 ms) for a sandbox's cgroup leaves to go once its processes exit: 30 s under load.
    static let cgroupGoneRounds = 300

    @Test func seccompDeniesWhatItShouldAndCannotBeLifted() async throws {
        let f = await SandboxFixture()
        defer { f.cleanup() }
        let o = try await f.python("""
        import ctypes, os, socket
        libc = ctypes.CDLL(None, use_errno=True)
        def call(nr, *args):
            rc = libc.syscall(nr, *args)
            return [rc, ctypes.get_errno()]
        def main():
            out = {}
            out["unshare"] = call(272, 0x10000000)         # unshare(CLONE_NEWUSER)
            out["setns"] = call(308, 0, 0)
            out["mount"] = call(165, b"none", b"/tmp", b"tmpfs", 0, None)
            out["umount2"] = call(166, b"/tmp", 0)
            out["kexec_load"] = call(246, 0, 0, 0, 0)
            out["bpf"] = call(321, 0, 0, 0)
            out["keyctl"] = call(250, 0, 0, 0, 0, 0)
            out["perf_event_open"] = call(298, 0, 0, -1, -1, 0)
            out["io_uring_setup"] = call(425, 8, 0)
            out["clone_newns"] = call(56, 0x00020000 | 17, 0, 0, 0, 0)
            for name, args in (("packet", (socket.AF_PACKET, socket.SOCK_RAW, 0)), ("raw", (socket.AF_INET, socket.SOCK_RAW, 1))):
                try: socket.socket(*args).close(); out[name] = "created"
                except OSError as e: out[name] = e.errno
            # A second filter may be stacked but never removes the first; status stays filtered.
            out["seccomp_status"] = [l.split()[1] for l in open("/proc/self/status") if l.startswith("Seccomp:")][0]
            return out
        """)
        #expect(o.succeeded, "\(o.failureSummary)")
        let r = try #require(o.result)
        for k in ["unshare", "setns", "mount", "umount2", "kexec_load", "bpf", "keyctl", "perf_event_open", "io_uring_setup", "clone_newns"] {
            #expect(r[k] == [-1, JSON(Int(EPERM))], "\(k): \(String(describing: r[k]))")
        }
        #expect(r["packet"] == JSON(Int(EPERM)))
        #expect(r["raw"] == JSON(Int(EPERM)))
        #expect(r["seccomp_status"] == "2")
    }

    @Test func privilegesAndLimitsCannotBeRaised() async throws {
        let f = await SandboxFixture()
        defer { f.cleanup() }
        let o = try await f.python("""
        import ctypes, os, resource
        libc = ctypes.CDLL(None, use_errno=True)
        def status(key):
            return [l.split()[1] for l in open("/proc/self/status") if l.startswith(key + ":")][0]
        def main():
            out = {"uid": os.getuid(), "caps": status("CapEff"), "capbnd": status("CapBnd"), "nnp": status("NoNewPrivs")}
            out["clear_nnp"] = [libc.prctl(38, 0, 0, 0, 0), ctypes.get_errno()]   # PR_SET_NO_NEW_PRIVS 0
            out["nnp_after"] = status("NoNewPrivs")
            raised = {}
            for name in ("RLIMIT_CPU", "RLIMIT_AS", "RLIMIT_FSIZE", "RLIMIT_NOFILE", "RLIMIT_NPROC"):
                lim = getattr(resource, name)
                soft, hard = resource.getrlimit(lim)
                try:
                    resource.setrlimit(lim, (resource.RLIM_INFINITY, resource.RLIM_INFINITY)); raised[name] = "raised"
                except (ValueError, OSError): raised[name] = "denied"
            out["raise"] = raised
            try: os.setuid(0); out["setuid0"] = "ok"
            except OSError as e: out["setuid0"] = e.errno
            out["hostname"] = os.uname().nodename
            out["env"] = sorted(os.environ.keys())
            out["fds"] = sorted(int(x) for x in os.listdir("/proc/self/fd"))
            out["ifaces"] = sorted(os.listdir("/sys/class/net")) if os.path.exists("/sys/class/net") else []
            out["pid"] = os.getpid()
            return out
        """)
        #expect(o.succeeded, "\(o.failureSummary)")
        let r = try #require(o.result)
        #expect(r["uid"] == JSON(SandboxLimits.sandboxUid))
        #expect(r["caps"] == "0000000000000000")
        #expect(r["capbnd"] == "0000000000000000")
        #expect(r["nnp"] == "1")
        #expect(r["clear_nnp"] == [-1, JSON(Int(EINVAL))])
        #expect(r["nnp_after"] == "1")
        for (k, v) in r["raise"]?.objectValue ?? JSONObject() { #expect(v == "denied", "\(k)") }
        #expect(r["setuid0"] == JSON(Int(EPERM)) || r["setuid0"] == JSON(Int(EINVAL)))  // uid 0 is not even mapped
        #expect(r["hostname"] == "mcpk-step")
        // A clean environment: only what the sandbox sets.
        let allowed: Set<String> = ["PATH", "HOME", "LANG", "TMPDIR", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED",
                                    "NODE_PATH", "MCPK_CHANNEL_FD", "MCPK_ANSWER_FD", "MCPK_WORK_DIR", "MCPK_RUN_ID", "MCPK_STEP_ID", "MCPK_ATTEMPT", "LC_CTYPE", "PWD"]
        for k in r["env"]?.arrayValue ?? [] { #expect(allowed.contains(k.stringValue ?? ""), "unexpected env \(k)") }
        // Only stdio, the channel and the listdir handle itself.
        let fds = (r["fds"]?.arrayValue ?? []).compactMap { $0.intValue }
        #expect(fds.filter { $0 > 4 }.count <= 1, "\(fds)")
        #expect(Array(fds.prefix(5)) == [0, 1, 2, 3, 4])
        #expect((r["pid"]?.intValue ?? 999) < 10)   // own pid namespace
    }

    @Test func networkOnlyWhenAsked() async throws {
        let f = await SandboxFixture()
        defer { f.cleanup() }
        let (tcp, port) = hostListener()
        defer { close(tcp) }
        let code = """
        import socket
        def main(port):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=3).close(); return "connected"
            except OSError as e: return "denied"
        """
        let off = try await f.python(code, inputs: ["port": JSON(port)])
        let on = try await f.python(code, inputs: ["port": JSON(port)], network: true)
        #expect(off.result == "denied")
        #expect(on.result == "connected")
    }

    @Test func exceptionBecomesFailedStepWithTraceback() async throws {
        let f = await SandboxFixture()
        defer { f.cleanup() }
        let o = try await f.python("def helper():\n    raise ValueError('boom 42')\n\ndef main():\n    helper()\n")
        #expect(!o.succeeded)
        #expect(o.error?.contains("Traceback") == true)
        #expect(o.error?.contains("ValueError: boom 42") == true)
        #expect(o.error?.contains("helper") == true)
    }

    @Test func cancelStopsTheWholeSandbox() async throws {
        let f = await SandboxFixture()
        defer { f.cleanup() }
        let spec = PythonScriptExecutor.spec(runId: "r1", stepId: "cancelme", code: """
        import os, time, mcpk
        def main():
            if os.fork() == 0: time.sleep(600)
            mcpk.progress(0.1, "started")
            time.sleep(600)
        """, inputs: [:], sandbox: f.sandbox)
        var step: StepProcess?
        step = try f.sandbox.start(spec, onEvent: { e in
            if case .progress = e { step?.cancel() }
        })
        let o = try #require(await step?.outcome())
        #expect(o.termination == .cancelled)
        #expect(leftoverProcesses(stepId: "cancelme").isEmpty)
    }

    @Test func cgroupLeafLimitsAndIsRemoved() async throws {
        let f = await SandboxFixture()
        defer { f.cleanup() }
        guard f.sandbox.cgroups != nil else { print("SKIP: no delegated cgroup hierarchy"); return }
        let spec = PythonScriptExecutor.spec(runId: "r1", stepId: "cg", code: """
        import os, time
        def main():
            kids = [os.fork() for _ in range(3)]
            if 0 in kids:
                time.sleep(600)
            return [l.strip() for l in open("/proc/self/cgroup") if "memory" in l or "pids" in l]
        """, inputs: [:], sandbox: f.sandbox, memoryMb: 300)
        let step = try f.sandbox.start(spec, onEvent: { _ in })
        let dirs = step.cgroupDirectories
        #expect(!dirs.isEmpty)
        if f.sandbox.cgroups?.version == .v1, let mem = dirs.first {
            #expect(readFile(mem + "/memory.limit_in_bytes")?.trimmingWhitespace == String(300 * 1024 * 1024))
            #expect(readFile(dirs[1] + "/pids.max")?.trimmingWhitespace == String(SandboxLimits.defaultProcesses))
        }
        let o = await step.outcome()
        #expect(o.succeeded, "\(o.failureSummary)")
        // The sleeping children die with the sandbox and the leaf goes away (retried while they exit).
        var gone = false
        for _ in 0..<Self.cgroupGoneRounds {
            if dirs.allSatisfy({ access($0, F_OK) != 0 }) { gone = true; break }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        #expect(gone, "\(dirs)")
    }

    @Test func refusesToRunWithoutIsolationUnlessNone() async throws {
        let f = await SandboxFixture(bwrap: "/nonexistent/bwrap")
        defer { f.cleanup() }
        #expect(!f.sandbox.report.ready)
        #expect(!f.sandbox.report.namespaces)
        #expect(f.sandbox.report.json["status"] == "red")
        #expect(throws: KernelError.self) { _ = try f.sandbox.start(StepSpec(runId: "r", stepId: "s", executable: "/bin/true"), onEvent: { _ in }) }

        let none = await SandboxFixture(mode: .none)
        defer { none.cleanup() }
        #expect(none.sandbox.report.ready)
        #expect(!none.sandbox.report.namespaces)
        #expect(!none.sandbox.report.seccomp)
        #expect(none.sandbox.report.rlimits)
        #expect(none.sandbox.report.json["status"] == "red")
        let o = try await none.python("def main():\n    return 5\n")
        #expect(o.result == 5, "\(o.failureSummary)")
    }
}
