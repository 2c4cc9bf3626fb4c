import Glibc
import KernelCore
import KernelLoop
import Testing
@testable import KernelSandbox

@Suite(.serialized) @KernelActor struct SandboxStepTests {
    @Test func probeReportsEveryLayer() async throws {
        let f = await SandboxFixture()
        defer { f.cleanup() }
        let r = f.sandbox.report
        #expect(r.ready, "\(r.problems)")
        #expect(r.namespaces)
        #expect(r.seccomp)
        #expect(r.noNewPrivs)
        #expect(r.rlimits)
        #expect(r.networkIsolation)
        #expect(r.json["status"] != nil)
    }

    @Test func pythonStepReportsThroughTheChannel() async throws {
        let f = await SandboxFixture()
        defer { f.cleanup() }
        let o = try await f.python("""
        import mcpk, sys
        def main(a, b):
            print("hello from stdout")
            print("to stderr", file=sys.stderr)
            mcpk.progress(0.5, "half")
            with open("out.txt", "w") as fh: fh.write("x")
            mcpk.artifact("out", "out.txt", "text/plain")
            return {"sum": a + b}
        """, inputs: ["a": 2, "b": 3])
        #expect(o.succeeded, "\(o.failureSummary)")
        #expect(o.result == ["sum": 5])
        #expect(f.stdout == ["hello from stdout"])
        #expect(f.events.contains(.log(stream: "stderr", line: "to stderr")))
        #expect(f.events.contains(.progress(fraction: 0.5, message: "half")))
        #expect(o.artifacts.first?.name == "out")
        #expect(o.artifacts.first?.path == o.workDirectory + "/out.txt")
    }

    /// A git checkout is shown read-only at /mcpk/source and is the step's working directory;
    /// the kernel home it lives in stays invisible.
    @Test func readOnlySourceMountIsTheWorkingDirectory() async throws {
        let f = await SandboxFixture()
        defer { f.cleanup() }
        let src = f.home + "/checkout"
        #expect(ensureDirectory(src) && writeFile(src + "/hello.txt", "from the checkout\n"))
        let mount = SandboxMount(source: src, destination: SandboxLimits.sourceMount)
        let script = """
        pwd; cat hello.txt
        if touch new.txt 2>/dev/null; then echo writable; else echo read-only; fi
        if [ -e "$KHOME" ]; then echo home-visible; else echo home-hidden; fi
        """
        let spec = StepSpec(runId: "r1", stepId: "mount", executable: "/bin/sh", arguments: ["-c", script],
                            environment: ["KHOME": f.home], readOnlyMounts: [mount],
                            workingDirectory: f.sandbox.seenPath(of: mount))
        let o = try await f.run(spec)
        #expect(o.succeeded, "\(o.failureSummary)")
        #expect(f.stdout == [SandboxLimits.sourceMount, "from the checkout", "read-only", "home-hidden"])
        #expect(!FileManagerLite.exists(src + "/new.txt"))
    }
}
