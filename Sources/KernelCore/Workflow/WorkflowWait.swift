/// A `wait` step's spec: `{for | until | signal, schema?, timeoutSeconds?}` (exactly one of the
/// first three). `for` is a duration (`"10m"`, `"30s"`, `"1h30m"`, `"500ms"`, `"2d"`) counted
/// from when the step starts waiting; `until` an RFC 3339 time; `signal` the name `run.signal`
/// resumes the step with, whose payload `schema` (JSON Schema) checks. `timeoutSeconds` bounds a
/// signal wait (the step ends `timed_out`). A waiting step holds no process and no step slot;
/// its timer is stored (`run_waits`) and re-armed after a restart.
public struct WorkflowWait: Sendable, Equatable {
    /// The longest wait `for` / `until` accepts (a year).
    public static let maxWaitSeconds = 366.0 * 24 * 3600
    /// The longest signal name.
    public static let maxSignalLength = 64

    public enum Kind: Sendable, Equatable {
        case duration(milliseconds: Int64)
        case until(Timestamp)
        case signal(name: String)
    }

    public var kind: Kind
    /// JSON Schema of the signal's payload (signal waits).
    public var schema: JSONSchema?
    public var schemaJSON: JSON?
    public var timeoutSeconds: Double?

    public static func == (a: WorkflowWait, b: WorkflowWait) -> Bool {
        a.kind == b.kind && a.schemaJSON == b.schemaJSON && a.timeoutSeconds == b.timeoutSeconds
    }

    /// The `kind` name stored with the wait (`for`, `until`, `signal`).
    public var kindName: String {
        switch kind {
        case .duration: return "for"
        case .until: return "until"
        case .signal: return "signal"
        }
    }

    public var signalName: String? {
        if case .signal(let n) = kind { return n }
        return nil
    }

    /// When the wait ends by itself if it starts at `start` (nil: a signal without a timeout).
    public func dueAt(startingAt start: Timestamp) -> Timestamp? {
        switch kind {
        case .duration(let ms): return Timestamp(milliseconds: start.milliseconds + ms)
        case .until(let t): return t
        case .signal: return timeoutSeconds.map { Timestamp(milliseconds: start.milliseconds + Int64($0 * 1000)) }
        }
    }

    static let fields: [FieldDefinition] = [
        FieldDefinition("for", .string, minLength: 1, "Duration to sleep: \"10m\", \"30s\", \"1h30m\", \"500ms\", \"2d\"."),
        FieldDefinition("until", .string, minLength: 1, "RFC 3339 time to sleep until (\"2026-12-24T00:00:00Z\")."),
        FieldDefinition("signal", .string, minLength: 1, maxLength: maxSignalLength, "Name of the signal (run.signal) that resumes the step."),
        FieldDefinition("schema", .object(fields: nil), "JSON Schema of the signal's payload."),
        FieldDefinition("timeoutSeconds", .number, maximum: maxWaitSeconds, exclusiveMinimum: 0,
                        "How long a signal wait waits before the step times out."),
    ]

    /// Builds the spec from its validated object, reporting problems under `path`.
    static func parse(_ o: JSONObject, path: String, errors: inout [FieldError]) -> WorkflowWait? {
        let r = ConfigReader(o)
        let given = ["for", "until", "signal"].filter { o[$0] != nil }
        guard given.count == 1 else {
            errors.append(FieldError(path, given.isEmpty ? "needs one of for, until or signal"
                                                          : "takes exactly one of for, until or signal (got \(given.joined(separator: ", ")))"))
            return nil
        }
        var schema: JSONSchema?
        if let s = o["schema"] {
            if given[0] != "signal" { errors.append(FieldError(FieldDefinition.join(path, "schema"), "only a signal wait has a payload schema")) }
            let (compiled, schemaErrors) = JSONSchema.compile(s, path: FieldDefinition.join(path, "schema"))
            errors += schemaErrors
            schema = compiled
        }
        let timeout = r.double("timeoutSeconds")
        if timeout != nil, given[0] != "signal" {
            errors.append(FieldError(FieldDefinition.join(path, "timeoutSeconds"), "only a signal wait has a timeout (for/until end by themselves)"))
        }
        let kind: Kind
        switch given[0] {
        case "for":
            let text = r.string("for") ?? ""
            guard let ms = WorkflowWait.parseDuration(text) else {
                errors.append(FieldError(FieldDefinition.join(path, "for"), "'\(text)' is not a duration (e.g. \"10m\", \"30s\", \"1h30m\", \"500ms\", \"2d\")"))
                return nil
            }
            guard Double(ms) / 1000 <= maxWaitSeconds else {
                errors.append(FieldError(FieldDefinition.join(path, "for"), "'\(text)' is longer than the limit maxWaitSeconds (\(Int(maxWaitSeconds)) s)"))
                return nil
            }
            kind = .duration(milliseconds: ms)
        case "until":
            let text = r.string("until") ?? ""
            guard let t = Timestamp(rfc3339: text) else {
                errors.append(FieldError(FieldDefinition.join(path, "until"), "'\(text)' is not an RFC 3339 time (e.g. \"2026-12-24T00:00:00Z\")"))
                return nil
            }
            kind = .until(t)
        default:
            let name = r.string("signal") ?? ""
            guard Reference.isValidStepID(name) else {
                errors.append(FieldError(FieldDefinition.join(path, "signal"), "must start with a letter or '_' and contain only letters, digits, '_' and '-'"))
                return nil
            }
            kind = .signal(name: name)
        }
        return WorkflowWait(kind: kind, schema: schema, schemaJSON: o["schema"], timeoutSeconds: timeout)
    }

    /// `"1h30m"` → 5,400,000 ms. Units: ms, s, m, h, d; at least one; integers or decimals.
    public static func parseDuration(_ text: String) -> Int64? {
        let chars = Array(text.trimmingSpaces())
        guard !chars.isEmpty else { return nil }
        var pos = 0
        var total = 0.0
        while pos < chars.count {
            let start = pos
            while pos < chars.count, chars[pos].isASCII, chars[pos].isNumber || chars[pos] == "." { pos += 1 }
            guard pos > start, let n = Double(String(chars[start..<pos])) else { return nil }
            let unitStart = pos
            while pos < chars.count, chars[pos].isASCII, chars[pos].isLetter { pos += 1 }
            let factor: Double
            switch String(chars[unitStart..<pos]) {
            case "ms": factor = 1
            case "s": factor = 1000
            case "m": factor = 60_000
            case "h": factor = 3_600_000
            case "d": factor = 86_400_000
            default: return nil
            }
            total += n * factor
        }
        guard total > 0, total < 1e15 else { return nil }
        return Int64(total.rounded())
    }
}
