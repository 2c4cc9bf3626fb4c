import Glibc
import KernelCore
import KernelLoop
import Testing
@testable import KernelSandbox

/// The hostile-steps suite, cold (a spawn per attempt) and warm (a fork of a warm
/// runner): each is a Python step trying to break out or
/// take the kernel down; each must be contained, and the sandbox must run a
/// normal step afterwards.
@Suite(.serialized) @KernelActor struct HostileStepTests {
    /// The sandbox still runs a normal step, and no process of a warm attempt outlived it.
    func healthy(_ f: SandboxFixture) async throws {
        #expect(f.warmStragglers() == 0)
        let o = try await f.python("def main():\n    return 'still fine'\n")
        #expect(o.succeeded && o.result == "still fine", "\(o.failureSummary)")
    }

    @Test(arguments: [false, true]) func readShadowAndKernelSecret(warm: Bool) async throws {
        let f = await SandboxFixture(warm: warm)
        defer { f.cleanup() }
        #expect(writeFile(f.home + "/secret.key", "TOP-SECRET-KEY-MATERIAL"))
        let o = try await f.python("""
        import os
        def attempt(p):
            try:
                with open(p, "rb") as fh: return "read:" + fh.read().decode(errors="replace")
            except Exception as e: return "denied:" + type(e).__name__
        def main(home):
            found = []
            for root, dirs, files in os.walk("/"):
                if root.startswith("/proc") or root.startswith("/usr") or root.startswith("/sys"): continue
                found += [os.path.join(root, n) for n in files if n in ("shadow", "secret.key")]
            return {"shadow": attempt("/etc/shadow"), "secret": attempt(home + "/secret.key"),
                    "home_visible": os.path.exists(home), "found": found}
        """, inputs: ["home": .string(f.home)])
        #expect(o.succeeded, "\(o.failureSummary)")
        #expect(o.result?["shadow"]?.stringValue?.hasPrefix("denied:") == true)
        #expect(o.result?["secret"]?.stringValue?.hasPrefix("denied:") == true)
        #expect(o.result?["home_visible"] == false)
        #expect(o.result?["found"] == .array([]))
        try await healthy(f)
    }

    @Test(arguments: [false, true]) func writeOutsideTheWorkDir(warm: Bool) async throws {
        let f = await SandboxFixture(warm: warm)
        defer { f.cleanup() }
        let marker = "mcpk-escape-\(getpid())-\(Int.random(in: 0..<1_000_000))"
        let o = try await f.python("""
        import os
        def attempt(p):
            try:
                with open(p, "w") as fh: fh.write("x")
                return "wrote"
            except Exception as e: return "denied:" + type(e).__name__
        def main(marker, home):
            return {"usr": attempt("/usr/" + marker), "etc": attempt("/etc/" + marker), "root": attempt("/" + marker),
                    "home": attempt(home + "/" + marker), "work_parent": attempt("../" + marker),
                    "tmp": attempt("/tmp/" + marker), "work": attempt(marker)}
        """, inputs: ["marker": .string(marker), "home": .string(f.home)])
        #expect(o.succeeded, "\(o.failureSummary)")
        for k in ["usr", "etc", "root", "home", "work_parent"] {
            #expect(o.result?[k]?.stringValue?.hasPrefix("denied:") == true, "\(k): \(String(describing: o.result?[k]))")
        }
        #expect(o.result?["tmp"] == "wrote")   // its private tmpfs
        #expect(o.result?["work"] == "wrote")
        #expect(access("/tmp/" + marker, F_OK) != 0)
        #expect(access("/usr/" + marker, F_OK) != 0)
        #expect(access(o.workDirectory + "/" + marker, F_OK) == 0)
        try await healthy(f)
    }

    @Test(arguments: [false, true]) func connectToKernelHTTPPortAndUnixSocket(warm: Bool) async throws {
        let f = await SandboxFixture(warm: warm)
        defer { f.cleanup() }
        let (tcp, port) = hostListener()
        let sockPath = f.home + "/mcpk.sock"
        let (unixFd, _) = hostListener(unixPath: sockPath)
        defer { close(tcp); close(unixFd); unlink(sockPath) }
        let o = try await f.python("""
        import socket
        def main(port, path):
            out = {}
            try:
                socket.create_connection(("127.0.0.1", port), timeout=3).close(); out["http"] = "connected"
            except Exception as e: out["http"] = "denied:" + type(e).__name__
            try:
                s = socket.socket(socket.AF_UNIX); s.settimeout(3); s.connect(path); out["unix"] = "connected"
            except Exception as e: out["unix"] = "denied:" + type(e).__name__
            try:
                socket.create_connection(("1.1.1.1", 53), timeout=3).close(); out["internet"] = "connected"
            except Exception as e: out["internet"] = "denied:" + type(e).__name__
            return out
        """, inputs: ["port": JSON(port), "path": .string(sockPath)])
        #expect(o.succeeded, "\(o.failureSummary)")
        #expect(o.result?["http"]?.stringValue?.hasPrefix("denied:") == true)
        #expect(o.result?["unix"]?.stringValue?.hasPrefix("denied:") == true)
        #expect(o.result?["internet"]?.stringValue?.hasPrefix("denied:") == true)
        try await healthy(f)
    }

    @Test(arguments: [false, true]) func forkBomb(warm: Bool) async throws {
        let f = await SandboxFixture(warm: warm)
        defer { f.cleanup() }
        let spec = PythonScriptExecutor.spec(runId: "r1", stepId: "forkbomb", code: """
        import os, time
        def main():
            n = 0
            try:
                while n < 100000:
                    if os.fork() == 0:
                        time.sleep(600); os._exit(0)
                    n += 1
            except OSError as e:
                return {"forked": n, "error": type(e).__name__}
            return {"forked": n}
        """, inputs: [:], sandbox: f.sandbox, timeoutMs: 60_000)
        let o = try await f.run(spec)
        #expect(o.succeeded, "\(o.failureSummary)")
        let forked = o.result?["forked"]?.intValue ?? 0
        #expect(forked > 0 && forked < Int64(SandboxLimits.defaultProcesses))
        #expect(o.result?["error"] == "BlockingIOError")
        // The sleeping children died with the sandbox.
        #expect(leftoverProcesses(stepId: "forkbomb").isEmpty)
        try await healthy(f)
    }

    @Test(arguments: [false, true]) func memoryBomb(warm: Bool) async throws {
        let f = await SandboxFixture(warm: warm)
        defer { f.cleanup() }
        let o = try await f.python("""
        def main():
            chunks = []
            try:
                while len(chunks) < 10000:
                    chunks.append(bytearray(16 * 1024 * 1024))
            except MemoryError:
                return {"mb": len(chunks) * 16, "error": "MemoryError"}
            return {"mb": len(chunks) * 16}
        """, memoryMb: 256)
        #expect(o.succeeded, "\(o.failureSummary)")
        #expect(o.result?["error"] == "MemoryError")
        #expect((o.result?["mb"]?.intValue ?? 100_000) < 256)
        try await healthy(f)
    }

    @Test(arguments: [false, true]) func cpuSpinPastTheTimeout(warm: Bool) async throws {
        let f = await SandboxFixture(warm: warm)
        defer { f.cleanup() }
        let spec = PythonScriptExecutor.spec(runId: "r1", stepId: "spin", code: "def main():\n    while True: pass\n",
                                             inputs: [:], sandbox: f.sandbox, timeoutMs: 1_500)
        let o = try await f.run(spec)
        #expect(o.termination == .timedOut)
        #expect(!o.succeeded)
        #expect(leftoverProcesses(stepId: "spin").isEmpty)
        try await healthy(f)
    }

    @Test(arguments: [false, true]) func hundredMegabytesOfStdout(warm: Bool) async throws {
        let f = await SandboxFixture(warm: warm)
        defer { f.cleanup() }
        let o = try await f.python("""
        import sys
        def main():
            line = "x" * 1023 + "\\n"
            block = line * 1024
            for _ in range(100):
                sys.stdout.write(block)
            sys.stdout.flush()
            return "done"
        """)
        #expect(o.succeeded, "\(o.failureSummary)")
        #expect(o.result == "done")
        #expect(o.logTruncated)
        #expect(f.events.filter { $0 == .truncated(stream: "stdout") }.count == 1)
        let kept = f.stdout.reduce(0) { $0 + $1.utf8.count + 1 }
        #expect(kept <= SandboxLimits.maxLogBytes + SandboxLimits.maxLogLineBytes)
        #expect(kept > 0)
        try await healthy(f)
    }

    @Test(arguments: [false, true]) func hundredThousandFiles(warm: Bool) async throws {
        let f = await SandboxFixture(warm: warm)
        defer { f.cleanup() }
        let o = try await f.python("""
        import os
        def main():
            handles = []
            try:
                for i in range(100000):
                    handles.append(open("f%d" % i, "w"))
            except OSError as e:
                return {"opened": len(handles), "errno": e.errno}
            return {"opened": len(handles)}
        """)
        #expect(o.succeeded, "\(o.failureSummary)")
        #expect((o.result?["opened"]?.intValue ?? 100_000) < Int64(SandboxLimits.defaultOpenFiles))
        #expect(o.result?["errno"] == JSON(Int(EMFILE)))
        try await healthy(f)
    }

    @Test(arguments: [false, true]) func ptraceIsDenied(warm: Bool) async throws {
        let f = await SandboxFixture(warm: warm)
        defer { f.cleanup() }
        let o = try await f.python("""
        import ctypes, os
        libc = ctypes.CDLL(None, use_errno=True)
        def main():
            pid = os.fork()
            if pid == 0:
                import time; time.sleep(5); os._exit(0)
            rc_attach = libc.ptrace(16, pid, None, None)   # PTRACE_ATTACH
            e_attach = ctypes.get_errno()
            rc_me = libc.ptrace(0, 0, None, None)         # PTRACE_TRACEME
            e_me = ctypes.get_errno()
            os.kill(pid, 9)
            return {"attach": [rc_attach, e_attach], "traceme": [rc_me, e_me]}
        """)
        #expect(o.succeeded, "\(o.failureSummary)")
        #expect(o.result?["attach"] == [-1, JSON(Int(EPERM))])
        #expect(o.result?["traceme"] == [-1, JSON(Int(EPERM))])
        try await healthy(f)
    }

    @Test(arguments: [false, true]) func killTheParent(warm: Bool) async throws {
        let f = await SandboxFixture(warm: warm)
        defer { f.cleanup() }
        let spec = PythonScriptExecutor.spec(runId: "r1", stepId: "killer", code: """
        import os, signal
        def main(kernel_pid):
            out = {}
            try: os.kill(kernel_pid, signal.SIGKILL); out["kernel"] = "sent"
            except Exception as e: out["kernel"] = "denied:" + type(e).__name__
            print(out, flush=True)
            os.kill(os.getppid(), signal.SIGKILL)
            os.kill(-1, signal.SIGKILL)
            return out
        """, inputs: ["kernel_pid": JSON(Int(getpid()))], sandbox: f.sandbox)
        let o = try await f.run(spec)
        // The step took itself down; the kernel (this process) is unharmed.
        #expect(!o.succeeded)
        #expect(f.stdout.first?.contains("denied:") == true, "\(f.stdout)")
        #expect(leftoverProcesses(stepId: "killer").isEmpty)
        try await healthy(f)
    }

    @Test(arguments: [false, true]) func queryOnUndeclaredConnectionIsRefused(warm: Bool) async throws {
        let f = await SandboxFixture(warm: warm)
        defer { f.cleanup() }
        var asked: [String] = []
        let o = try await f.python("""
        import mcpk
        def main():
            out = {}
            try: mcpk.query("secret_db", "select * from users"); out["undeclared"] = "answered"
            except mcpk.QueryError as e: out["undeclared"] = e.kind
            out["declared"] = mcpk.query("warehouse", "select $1::int as n", [7])
            return out
        """, connections: ["warehouse"], onQuery: { q in
            asked.append(q.connection)
            return ["columns": ["n"], "rows": [[q.params[0] ?? .null]]]
        })
        #expect(o.succeeded, "\(o.failureSummary)")
        #expect(o.result?["undeclared"] == "forbidden")
        #expect(o.result?["declared"] == ["columns": ["n"], "rows": [[7]]])
        #expect(asked == ["warehouse"])
        try await healthy(f)
    }
}
