import KernelCore
import KernelLoop

/// `Output` steps: writes the step input (`data` if given, else all inputs) as a named
/// artifact under `$MCPK_HOME/artifacts/<run>/` in `json`, `csv` or `text` format.
@KernelActor
public final class OutputExecutor: StepExecutor {
    public let types: [ComponentType] = [.output]

    public init() {}

    public func run(_ inv: StepInvocation, events: StepEventSink, cancellation: StepCancellation) async -> AttemptOutcome {
        let format = (inv.config["format"]?.stringValue ?? inv.config["outputFormat"]?.stringValue ?? "json").lowercased()
        let base = inv.config["name"]?.stringValue ?? inv.config["artifactName"]?.stringValue ?? inv.stepID
        let data = inv.inputs["data"] ?? inv.inputs
        let ext: String
        let bytes: [UInt8]
        switch format {
        case "json": ext = "json"; bytes = Array(data.pretty().utf8) + [10]
        case "text", "txt":
            ext = "txt"
            if case .string(let s) = data { bytes = Array(s.utf8) } else { bytes = Array(data.pretty().utf8) + [10] }
        case "csv":
            ext = "csv"
            do { bytes = Array(try OutputExecutor.csv(data).utf8) } catch let e as KernelError { return .failed(e.message) } catch { return .failed("\(error)") }
        default:
            return .failed("unknown output format '\(format)' (json, csv, text)")
        }
        let name = base.hasSuffix("." + ext) ? base : base + "." + ext
        guard ArtifactNames.isValid(name) else { return .failed("invalid artifact name '\(name)'") }
        let path = inv.artifactDirectory + "/" + name
        guard ArtifactNames.writeFile(path, bytes) else { return .failed("cannot write artifact \(path)") }
        let mime = ArtifactNames.mime(for: name)
        events.artifact(name: name, path: path, mime: mime)
        return .succeeded(["name": .string(name), "path": .string(path), "size": .int(Int64(bytes.count)), "mime": .string(mime)])
    }

    /// Rows = array of objects (header = union of keys in first-seen order) or array of arrays.
    static func csv(_ data: JSON) throws -> String {
        guard let rows = data.arrayValue else { throw KernelError.invalidParams("csv output needs an array of rows") }
        func cell(_ v: JSON?) -> String {
            guard let v, !v.isNull else { return "" }
            let s: String
            if case .string(let str) = v { s = str } else { s = v.serialized() }
            if s.contains(",") || s.contains("\"") || s.contains("\n") || s.contains("\r") {
                return "\"" + s.replacingAll("\"", with: "\"\"") + "\""
            }
            return s
        }
        var lines: [String] = []
        if rows.allSatisfy({ $0.objectValue != nil }) {
            var header: [String] = []
            for r in rows { for (k, _) in r.objectValue ?? JSONObject() where !header.contains(k) { header.append(k) } }
            lines.append(header.map { cell(.string($0)) }.joined(separator: ","))
            for r in rows { lines.append(header.map { cell(r[$0]) }.joined(separator: ",")) }
        } else {
            for r in rows { lines.append((r.arrayValue ?? [r]).map { cell($0) }.joined(separator: ",")) }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
