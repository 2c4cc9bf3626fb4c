/// Replaces the values of the workspace secrets a step used wherever its run is recorded:
/// the inputs of its `running` event, its log lines, progress messages, result and error.
public struct SecretRedactor: Sendable, Equatable {
    /// What a secret's value becomes.
    public static let mask = "***"

    /// Longest first, so a secret containing another is masked whole.
    public let values: [String]

    public init(_ values: [String]) {
        self.values = Array(Set(values.filter { !$0.isEmpty })).sorted { $0.count != $1.count ? $0.count > $1.count : $0 < $1 }
    }

    public var isEmpty: Bool { values.isEmpty }

    public func redact(_ text: String) -> String {
        guard !values.isEmpty else { return text }
        var out = text
        for v in values where out.contains(v) { out = out.replacing(v, with: SecretRedactor.mask) }
        return out
    }

    /// Every string (and object key) of a value, redacted.
    public func redact(_ value: JSON) -> JSON {
        guard !values.isEmpty else { return value }
        switch value {
        case .string(let s): return .string(redact(s))
        case .array(let a): return .array(a.map(redact))
        case .object(let o):
            var out = JSONObject()
            for (k, v) in o { out[redact(k)] = redact(v) }
            return .object(out)
        default: return value
        }
    }
}
