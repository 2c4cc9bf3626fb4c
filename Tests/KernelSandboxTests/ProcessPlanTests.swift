import Glibc
import KernelCore
import Testing
@testable import KernelSandbox

@Suite struct ProcessPlanTests {
    @Test func parsesTheSpecAndItsSandboxMembers() throws {
        let p = try ProcessPlan(json: [
            "argv": ["{python}", "-B", "{runtime}/x.py"], "env": ["A": "1"],
            "files": [["path": "main.py", "content": "print(1)"]], "network": true, "timeout_ms": 5000, "memory_mb": 300,
            "requirements": "six==1.16.0\n# comment\n\nrequests", "typescript": ["source": "main.ts", "output": "main.js"],
            "service": ["port": 0, "health_path": "/_stcore/health"], "ttl_seconds": 60, "connections": ["wh"],
            "address_space_limit": false, "runtime": "python",
        ])
        #expect(p.argv == ["{python}", "-B", "{runtime}/x.py"])
        #expect(p.env == ["A": "1"])
        #expect(p.files.map(\.path) == ["main.py"])
        #expect(p.network && p.timeoutMs == 5000 && p.memoryMb == 300)
        #expect(p.requirements == ["six==1.16.0", "requests"])
        #expect(p.typescriptSource == "main.ts" && p.typescriptOutput == "main.js")
        #expect(p.isService && p.serviceHealthPath == "/_stcore/health" && p.ttlSeconds == 60)
        #expect(p.connections == ["wh"])
        #expect(!p.limitAddressSpace)
        #expect(p.runtime == .python)
    }

    /// A plan's `runtime` must name a runtime the kernel provisions; the error lists them.
    @Test func runtimeMustBeKnown() {
        #expect((try? ProcessPlan(json: ["argv": ["x"], "runtime": "node"]))?.runtime == .node)
        #expect((try? ProcessPlan(json: ["argv": ["x"]]))?.runtime == nil)
        do {
            _ = try ProcessPlan(json: ["argv": ["x"], "runtime": "ruby"])
            Issue.record("expected invalid_params")
        } catch let e as KernelError {
            #expect(e.errors.map(\.path) == ["runtime"] && e.errors.first?.message.contains("python, node") == true)
        } catch {
            Issue.record("\(error)")
        }
    }

    /// What the Python runtime build's progress counts: pip's lines for a pin, online or offline,
    /// normalised so the download and install phases of one pin count once.
    @Test func runtimeProgressLines() {
        #expect(StepRuntimes.packageLine("Collecting charset-normalizer==3.5.3 (from -r requirements.txt (line 15))") == "charset_normalizer==3.5.3")
        #expect(StepRuntimes.packageLine("Processing /root/.cache/mcpk/pip/wheels/charset_normalizer-3.5.3-cp311-cp311-manylinux1_x86_64.whl (from -r requirements.txt (line 15))")
                == "charset_normalizer==3.5.3")
        #expect(StepRuntimes.packageLine("Collecting PyYAML==6.0.4") == StepRuntimes.packageLine("Processing /w/pyyaml-6.0.4-cp311-cp311-linux_x86_64.whl"))
        #expect(StepRuntimes.packageLine("Installing collected packages: pip") == nil)
        #expect(StepRuntimes.packageLine("Processing ./local-dir") == nil)
        #expect(StepRuntimes.pinnedPackages("# c\npip==26.3\n\nnbclient==0.11.0\nmcp==2.3.0\n") == ["nbclient==0.11.0", "mcp==2.3.0"])
        #expect(PythonEnvironments.key(for: ["b", "a"]) == PythonEnvironments.key(for: ["a", "b"]))
        #expect(ProcessPlan.requirementList(.string("six\n# x\n\nrequests")) == ["six", "requests"])
    }

    @Test func rejectsBadSpecsWithFieldPaths() {
        #expect(throws: KernelError.self) { try ProcessPlan(json: ["argv": []]) }
        do {
            _ = try ProcessPlan(json: ["argv": ["x"], "env": ["A": 1], "files": [["path": "a"]], "requirements": ["--index-url=http://evil"]])
            Issue.record("expected invalid_params")
        } catch let e as KernelError {
            #expect(e.kind == .invalidParams)
            #expect(Set(e.errors.map(\.path)) == ["env.A", "files[0]", "requirements"])
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func seccompProgramExports() throws {
        let fd = try SeccompFilter.exportToPipe()
        defer { _ = Glibc.close(fd) }
        var buf = [UInt8](repeating: 0, count: 65536)
        let n = Glibc.read(fd, &buf, buf.count)
        // Classic BPF: 8-byte instructions, a real program (not a stub).
        #expect(n > 8 * 20)
        #expect(n % 8 == 0)
    }

    @Test func logLinesAreSplitAndCut() {
        var lb = LineBuffer(maxLine: 4)
        var out: [(String, Bool)] = []
        let input = Array("ab\ncdefgh\nij".utf8)
        input.withUnsafeBytes { b in lb.feed(b) { out.append((String(decoding: $0, as: UTF8.self), $1)) } }
        lb.finish { out.append((String(decoding: $0, as: UTF8.self), $1)) }
        #expect(out.map(\.0) == ["ab", "cdef", "ij"])
        #expect(out.map(\.1) == [false, true, false])
    }
}
