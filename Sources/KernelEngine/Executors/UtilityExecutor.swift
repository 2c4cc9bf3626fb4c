import KernelCore
import KernelLoop

/// `Utility` steps, in-process on the loop: `merge` (shallow merge of the object inputs, in
/// order), `pick` (`paths`: name → dotted path into the inputs), `template` (renders
/// `template` with `{{name}}` / `{{a.b}}` from the inputs → `{text}`), and `plugin` (a
/// plugin-exported operation through `PluginOperationCaller`).
@KernelActor
public final class UtilityExecutor: StepExecutor {
    public let types: [ComponentType] = [.utility]
    let plugins: PluginOperationCaller?

    public init(plugins: PluginOperationCaller? = nil) { self.plugins = plugins }

    public func run(_ inv: StepInvocation, events: StepEventSink, cancellation: StepCancellation) async -> AttemptOutcome {
        let op = inv.config["operation"]?.stringValue ?? inv.config["utilityType"]?.stringValue ?? "merge"
        do {
            switch op {
            case "merge": return .succeeded(UtilityExecutor.merge(inv.inputs))
            case "pick": return .succeeded(try UtilityExecutor.pick(inv.inputs, paths: inv.config["paths"] ?? inv.config["keys"] ?? []))
            case "template":
                guard let t = inv.config["template"]?.stringValue else { return .failed("utility 'template' needs a 'template' string") }
                return .succeeded(["text": .string(try UtilityExecutor.render(t, inv.inputs))])
            case "plugin":
                guard let plugins else { return .failed("utility 'plugin': no plugin host is available in this kernel") }
                guard let plugin = inv.config["plugin"]?.stringValue, let name = inv.config["op"]?.stringValue else {
                    return .failed("utility 'plugin' needs 'plugin' and 'op'")
                }
                let args = try inv.config["args"].map { try StepInputResolver(inputs: inv.inputs, results: [:]).resolve($0) } ?? inv.inputs
                return .succeeded(try await plugins.callOperation(plugin: plugin, operation: name, arguments: args))
            default:
                return .failed("unknown utility operation '\(op)' (merge, pick, template, plugin)")
            }
        } catch let e as KernelError {
            return .failed(e.errors.isEmpty ? e.message : "\(e.message): \(e.errors.map(\.description).joined(separator: "; "))")
        } catch {
            return .failed("\(error)")
        }
    }

    static func merge(_ inputs: JSON) -> JSON {
        var out = JSONObject()
        for (k, v) in inputs.objectValue ?? JSONObject() {
            if case .object(let o) = v { for (k2, v2) in o { out[k2] = v2 } } else { out[k] = v }
        }
        return .object(out)
    }

    static func pick(_ inputs: JSON, paths: JSON) throws -> JSON {
        var out = JSONObject()
        var pairs: [(String, String)] = []
        if let arr = paths.arrayValue { pairs = arr.compactMap(\.stringValue).map { ($0.split(separator: ".").last.map(String.init) ?? $0, $0) } }
        else if let o = paths.objectValue { pairs = o.compactMap { k, v in v.stringValue.map { (k, $0) } } }
        guard !pairs.isEmpty else { throw KernelError.invalidParams("utility 'pick' needs 'paths' (array or name → path)") }
        for (name, path) in pairs {
            guard let v = inputs.value(atPath: path.split(separator: ".").map(String.init)) else {
                throw KernelError.invalidParams("utility 'pick': no value at '\(path)'")
            }
            out[name] = v
        }
        return .object(out)
    }

    /// `{{path}}` placeholders; a missing path is an error.
    static func render(_ template: String, _ inputs: JSON) throws -> String {
        var out = ""
        var rest = Substring(template)
        while let open = rest.firstRange(of: "{{") {
            out += rest[..<open.lowerBound]
            let after = rest[open.upperBound...]
            guard let close = after.firstRange(of: "}}") else { out += rest[open.lowerBound...]; return out }
            let key = String(after[..<close.lowerBound]).trimmed
            guard let v = inputs.value(atPath: key.split(separator: ".").map(String.init)) else {
                throw KernelError.invalidParams("template placeholder '{{\(key)}}' has no value in the inputs")
            }
            if case .string(let s) = v { out += s } else { out += v.serialized() }
            rest = after[close.upperBound...]
        }
        out += rest
        return out
    }
}

/// Calls a plugin-exported operation (libffi), provided by KernelPlugins' host.
@KernelActor
public protocol PluginOperationCaller: AnyObject {
    func callOperation(plugin: String, operation: String, arguments: JSON) async throws -> JSON
}
