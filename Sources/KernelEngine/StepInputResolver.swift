import KernelCore

/// Resolves `${inputs.x}` and `${steps.<id>.result.<path>}` references in a step's input mapping,
/// just before the step starts. A string that is exactly one reference takes the referenced
/// value's JSON type; a reference inside a longer string is interpolated as text.
public struct StepInputResolver: Sendable {
    /// One `${…}` reference.
    public enum Reference: Sendable, Equatable {
        case inputs([String])
        /// Step id and the path inside its result.
        case step(String, [String])
    }

    public var inputs: JSON
    /// Results of finished steps by id.
    public var results: [String: JSON]

    public init(inputs: JSON, results: [String: JSON]) {
        self.inputs = inputs
        self.results = results
    }

    /// Parses the inside of `${…}`.
    public static func parseReference(_ text: String) throws -> Reference {
        let parts = text.trimmed.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard let head = parts.first else { throw KernelError.invalidParams("empty reference") }
        switch head {
        case "inputs":
            return .inputs(Array(parts.dropFirst()))
        case "steps":
            guard parts.count >= 3, !parts[1].isEmpty, parts[2] == "result" else {
                throw KernelError.invalidParams("reference '${\(text)}' must look like ${steps.<id>.result[.path]}")
            }
            return .step(parts[1], Array(parts.dropFirst(3)))
        default:
            throw KernelError.invalidParams("reference '${\(text)}' must start with 'inputs.' or 'steps.'")
        }
    }

    /// Every well-formed reference in `json` (used for definition checks).
    public static func references(in json: JSON) -> [Reference] {
        switch json {
        case .string(let s):
            return segments(s).compactMap { seg in
                if case .reference(let r) = seg { return try? parseReference(r) }
                return nil
            }
        case .array(let a): return a.flatMap { references(in: $0) }
        case .object(let o): return o.flatMap { references(in: $0.value) }
        default: return []
        }
    }

    enum Segment: Equatable { case text(String), reference(String) }

    static func segments(_ s: String) -> [Segment] {
        var out: [Segment] = []
        let chars = Array(s)
        var text = ""
        var i = 0
        while i < chars.count {
            if chars[i] == "$", i + 1 < chars.count, chars[i + 1] == "{",
               let end = chars[(i + 2)...].firstIndex(of: "}") {
                if !text.isEmpty { out.append(.text(text)); text = "" }
                out.append(.reference(String(chars[(i + 2)..<end])))
                i = end + 1
                continue
            }
            text.append(chars[i])
            i += 1
        }
        if !text.isEmpty { out.append(.text(text)) }
        return out
    }

    /// The value of one reference, or an error naming the missing path.
    public func value(of reference: Reference, text: String) throws -> JSON {
        switch reference {
        case .inputs(let path):
            guard let v = inputs.value(atPath: path) else {
                throw KernelError.invalidParams("input reference ${\(text)}: no value at inputs.\(path.joined(separator: "."))")
            }
            return v
        case .step(let id, let path):
            guard let result = results[id] else {
                throw KernelError.invalidParams("reference ${\(text)}: step '\(id)' has no result")
            }
            guard let v = result.value(atPath: path) else {
                throw KernelError.invalidParams("reference ${\(text)}: step '\(id)' result has no value at '\(path.joined(separator: "."))'")
            }
            return v
        }
    }

    /// Resolves every reference in `template`.
    public func resolve(_ template: JSON) throws -> JSON {
        switch template {
        case .string(let s):
            let segs = StepInputResolver.segments(s)
            if segs.count == 1, case .reference(let r) = segs[0] {
                return try value(of: StepInputResolver.parseReference(r), text: r)
            }
            guard segs.contains(where: { if case .reference = $0 { return true }; return false }) else { return template }
            var out = ""
            for seg in segs {
                switch seg {
                case .text(let t): out += t
                case .reference(let r):
                    let v = try value(of: StepInputResolver.parseReference(r), text: r)
                    if case .string(let str) = v { out += str } else { out += v.serialized() }
                }
            }
            return .string(out)
        case .array(let a):
            return .array(try a.map { try resolve($0) })
        case .object(let o):
            var r = JSONObject()
            for (k, v) in o { r[k] = try resolve(v) }
            return .object(r)
        default:
            return template
        }
    }
}

extension String {
    var trimmed: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
