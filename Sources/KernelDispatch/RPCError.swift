import KernelCore

/// JSON-RPC 2.0 error codes. Standard ones, plus one server code per
/// `KernelError.Kind`; `data.kind` always carries the stable string.
public enum RPCError {
    public static let parseError: Int64 = -32700
    public static let invalidRequest: Int64 = -32600
    public static let methodNotFound: Int64 = -32601
    public static let invalidParams: Int64 = -32602
    public static let internalError: Int64 = -32603
    public static let notFound: Int64 = -32001
    public static let conflict: Int64 = -32002
    public static let unavailable: Int64 = -32003
    public static let forbidden: Int64 = -32004
    public static let messageTooLarge: Int64 = -32005

    public static func code(for kind: KernelError.Kind) -> Int64 {
        switch kind {
        case .invalidParams: return invalidParams
        case .notFound: return notFound
        case .conflict: return conflict
        case .unavailable: return unavailable
        case .forbidden: return forbidden
        case .internal: return internalError
        }
    }

    /// The `error` member of a response.
    public static func object(code: Int64, message: String, kind: KernelError.Kind, errors: [FieldError] = []) -> JSON {
        var data = JSONObject()
        data["kind"] = .string(kind.rawValue)
        if !errors.isEmpty { data["errors"] = .array(errors.map(\.json)) }
        return ["code": .int(code), "message": .string(message), "data": .object(data)]
    }

    public static func object(_ e: DispatchError) -> JSON {
        switch e {
        case .methodNotFound(let m):
            return object(code: methodNotFound, message: "method '\(m)' not found", kind: .notFound)
        case .kernel(let k):
            return object(code: code(for: k.kind), message: k.message, kind: k.kind, errors: k.errors)
        }
    }

    public static func response(id: JSON, error: JSON) -> JSON {
        ["jsonrpc": "2.0", "id": id, "error": error]
    }

    public static func response(id: JSON, result: JSON) -> JSON {
        ["jsonrpc": "2.0", "id": id, "result": result]
    }
}
