/// Turns a webhook request into run inputs. Without a mapping the body itself (a JSON object,
/// or the fields of a form body) is the inputs. A mapping `{input: source}` picks each input
/// from `body[.path]`, `headers.<name>` or `query.<name>`; a source that names nothing is an
/// error naming the input (never a silent null).
public enum WebhookMapping {
    public static let roots = ["body", "headers", "query"]

    /// Checks a mapping's shape when a hook is created or updated (paths under `mapping.`).
    public static func validate(_ mapping: JSON, path: String = "mapping") -> [FieldError] {
        if mapping.isNull { return [] }
        guard case .object(let o) = mapping else { return [FieldError(path, "must be an object of input name → source")] }
        var errors: [FieldError] = []
        if o.count > WebhookLimits.maxMappingEntries {
            errors.append(FieldError(path, "has \(o.count) entries; the limit (WebhookLimits.maxMappingEntries) is \(WebhookLimits.maxMappingEntries)"))
        }
        for (input, source) in o {
            guard let s = source.stringValue else {
                errors.append(FieldError("\(path).\(input)", "must be a string such as \"body.repository.name\""))
                continue
            }
            let root = s.split(separator: ".", maxSplits: 1).first.map(String.init) ?? ""
            if !roots.contains(root) {
                errors.append(FieldError("\(path).\(input)", "must start with body, headers or query (got '\(s)')"))
            } else if root != "body" && !s.contains(".") {
                errors.append(FieldError("\(path).\(input)", "must name a \(root == "headers" ? "header" : "query parameter"): \(root).<name>"))
            }
        }
        return errors
    }

    /// The run inputs for one request: `body` (parsed), `headers` (lower-cased names) and `query`.
    public static func inputs(mapping: JSON, body: JSON, headers: JSON, query: JSON) throws -> JSON {
        guard case .object(let o) = mapping else {
            guard case .object = body else {
                throw KernelError.invalidParams("the request body must be a JSON object (or a form) when the hook has no mapping",
                                                errors: [FieldError("body", "must be an object, got \(body.typeName)")])
            }
            return body
        }
        var out = JSONObject()
        var errors: [FieldError] = []
        for (input, source) in o {
            let parts = (source.stringValue ?? "").split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            let base: JSON
            switch parts.first {
            case "body": base = body
            case "headers": base = headers
            default: base = query
            }
            var rest = Array(parts.dropFirst())
            if parts.first == "headers" { rest = rest.map { $0.lowercased() } }
            guard let v = base.value(atPath: rest) else {
                errors.append(FieldError("mapping.\(input)", "the request has no value at \(source.stringValue ?? "")"))
                continue
            }
            out[input] = v
        }
        guard errors.isEmpty else { throw KernelError.invalidParams("the webhook mapping does not fit this request", errors: errors) }
        return .object(out)
    }

    /// A form body (`a=1&b=x`) as an object of strings; a repeated key keeps its last value.
    public static func formObject(_ pairs: [(String, String)]) -> JSON {
        var o = JSONObject()
        for (k, v) in pairs { o[k] = .string(v) }
        return .object(o)
    }
}
