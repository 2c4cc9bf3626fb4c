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
}
