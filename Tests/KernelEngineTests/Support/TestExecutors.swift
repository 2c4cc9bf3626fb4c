import KernelCore
import KernelEngine
import KernelLoop

/// The engine tests' own `Utility` executor (the kernel's comes from a plugin):
/// `merge` (shallow union of the inputs), `template` (`${inputs.key}` substitution), `big`
/// (a result of `inputs.n` bytes) and
/// `sleep` (holds the step `inputs.ms`).
@KernelActor
final class TestUtilityExecutor: StepExecutor {
    let types: [ComponentType] = [.utility]

    func run(_ inv: StepInvocation, events: StepEventSink, cancellation: StepCancellation) async -> AttemptOutcome {
        switch inv.config["operation"]?.stringValue {
        case "merge":
            var out = JSONObject()
            for (_, v) in inv.inputs.objectValue ?? JSONObject() {
                for (k, x) in v.objectValue ?? JSONObject() { out[k] = x }
            }
            return .succeeded(.object(out))
        case "template":
            var text = inv.config["template"]?.stringValue ?? ""
            for (k, v) in inv.inputs.objectValue ?? JSONObject() {
                text = text.replacing("${inputs.\(k)}", with: v.stringValue ?? v.serialized())
            }
            return .succeeded(["text": .string(text)])
        case "big":
            // A large result from small inputs: {big: "y" × inputs.n, items: [1, 2, 3]}.
            return .succeeded(["big": .string(String(repeating: "y", count: Int(inv.inputs["n"]?.intValue ?? 0))), "items": [1, 2, 3]])
        case "sleep":
            // Holds the step for `inputs.ms` (a loop timer), then returns the inputs.
            let ms = UInt64(max(0, inv.inputs["ms"]?.intValue ?? 0))
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                do { try Timer.after(loop: KernelRuntime.loop, ms: ms) { c.resume() } } catch { c.resume() }
            }
            return .succeeded(inv.inputs)
        default:
            return .failed("test utility: unknown operation")
        }
    }
}

/// The engine tests' own `Output` executor: writes `inputs.data` (an array of
/// objects) as `<name>.csv` into the run's artifact directory.
@KernelActor
final class TestCSVOutputExecutor: StepExecutor {
    let types: [ComponentType] = [.output]

    func run(_ inv: StepInvocation, events: StepEventSink, cancellation: StepCancellation) async -> AttemptOutcome {
        guard let rows = inv.inputs["data"]?.arrayValue else { return .failed("test output: data must be an array") }
        func cell(_ v: JSON?) -> String {
            let s = v.map { $0.stringValue ?? $0.serialized() } ?? ""
            return s.contains(",") || s.contains("\"") ? "\"" + s.replacing("\"", with: "\"\"") + "\"" : s
        }
        var header: [String] = []
        for r in rows { for (k, _) in r.objectValue ?? JSONObject() where !header.contains(k) { header.append(k) } }
        var text = header.joined(separator: ",") + "\n"
        for r in rows { text += header.map { cell(r[$0]) }.joined(separator: ",") + "\n" }
        let name = (inv.config["name"]?.stringValue ?? inv.stepID) + ".csv"
        let path = inv.artifactDirectory + "/" + name
        guard ArtifactNames.writeFile(path, Array(text.utf8)) else { return .failed("cannot write \(path)") }
        events.artifact(name: name, path: path, mime: "text/csv")
        return .succeeded(["name": .string(name)])
    }
}
