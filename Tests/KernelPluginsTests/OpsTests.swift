import PluginTestSupport
import KernelCore
import KernelLoop
import KernelPlugins
import Testing

/// Extra operations through libffi, with signatures s(si), d(ld) and b(l).
@Suite struct OpsTests {
    @Test @KernelActor func opsWithDifferentSignaturesAreCalledThroughLibffi() async throws {
        let host = PluginHost(configuration: PluginHostConfiguration(directories: []))
        let info = try await host.load(path: TestSupport.bundled("mcpk-testops"))
        #expect(info.metadata?.ops.map(\.signature) == ["s(si)", "d(ld)", "b(l)", "i(s)"])
        #expect(try await host.call(plugin: "testops", op: "repeat", args: ["xy", 3]) == "xyxyxy")
        #expect(try await host.call(plugin: "testops", op: "repeat", args: ["é", 2]) == "éé")
        #expect(try await host.call(plugin: "testops", op: "scale", args: [7, 1.5]) == .double(10.5))
        #expect(try await host.call(plugin: "testops", op: "is_even", args: [10]) == true)
        #expect(try await host.call(plugin: "testops", op: "is_even", args: [7]) == false)
        await host.shutdown()
    }

    @Test @KernelActor func badArityAndTypesAreInvalidParamsNotCrashes() async throws {
        let host = PluginHost(configuration: PluginHostConfiguration(directories: []))
        _ = try await host.load(path: TestSupport.bundled("mcpk-testops"))
        let cases: [(String, [JSON], String)] = [
            ("repeat", ["only one"], "args"),
            ("repeat", [1, 2], "args[0]"),
            ("repeat", ["x", "3"], "args[1]"),
            ("repeat", ["x", 1.5], "args[1]"),
            ("repeat", ["x", .int(1 << 40)], "args[1]"),
            ("repeat", [.null, 1], "args[0]"),
            ("scale", [1, "x"], "args[1]"),
            ("is_even", [], "args"),
            ("is_even", [true], "args[0]"),
        ]
        for (op, args, path) in cases {
            do {
                _ = try await host.call(plugin: "testops", op: op, args: args)
                Issue.record("\(op)(\(args)) succeeded")
            } catch let e as KernelError {
                #expect(e.kind == .invalidParams, "\(op) \(args)")
                #expect(e.errors.contains { $0.path == path }, "\(op) \(args): \(e.errors)")
            }
        }
        await #expect(throws: KernelError.notFound("plugin testops has no op nope")) {
            _ = try await host.call(plugin: "testops", op: "nope", args: [])
        }
        // Still healthy afterwards.
        #expect(try await host.call(plugin: "testops", op: "repeat", args: ["ok", 1]) == "ok")
        await host.shutdown()
    }
}
