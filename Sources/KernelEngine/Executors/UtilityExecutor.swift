import KernelCore
import KernelLoop

/// `Utility` steps, in-process on the loop: `merge` (shallow merge of the object inputs, in
/// order), `pick` (`keys`: names or dotted paths into the inputs), `template` (renders
/// `template` with `${inputs.x}` placeholders → `{text}`), and `plugin` (a plugin-exported
/// operation through `PluginOperationCaller`, with `args` or the inputs).
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
                let value = try Template.parse(t).resolve(in: ReferenceContext(inputs: inv.inputs))
                if case .string(let text) = value { return .succeeded(["text": .string(text)]) }
                return .succeeded(["text": .string(value.serialized())])
            case "plugin":
                guard let plugins else { return .failed("utility 'plugin': no plugin host is available in this kernel") }
                guard let plugin = inv.config["plugin"]?.stringValue, let name = inv.config["pluginOperation"]?.stringValue else {
                    return .failed("utility 'plugin' needs 'plugin' and 'pluginOperation'")
                }
                var configured: JSON? = inv.config["args"]
                if configured?.isNull == true || configured?.objectValue?.isEmpty == true { configured = Optional<JSON>.none }
                let args = try configured.map { try Template.resolveValue($0, in: ReferenceContext(inputs: inv.inputs)) } ?? inv.inputs
                return .succeeded(try await plugins.callOperation(plugin: plugin, operation: name, arguments: args))
            default:
                return .failed("unknown utility operation '\(op)' (merge, pick, template, plugin)")
            }
        } catch let e as ExpressionError {
            return .failed(e.message)
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
}

/// Calls a plugin-exported operation (libffi), provided by KernelPlugins' host.
@KernelActor
public protocol PluginOperationCaller: AnyObject {
    func callOperation(plugin: String, operation: String, arguments: JSON) async throws -> JSON
}

extension String {
    var trimmed: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
