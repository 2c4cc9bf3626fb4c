/// The one error type that crosses module and protocol boundaries.
///
/// `kind` is stable (contract: DESIGN.md §4) and maps onto JSON-RPC error
/// codes and HTTP statuses; `errors` carries field-level validation failures
/// with JSON paths.
public struct KernelError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        case notFound = "not_found"
        case invalidParams = "invalid_params"
        case conflict = "conflict"
        case unavailable = "unavailable"
        case forbidden = "forbidden"
        case `internal` = "internal"
    }

    public var kind: Kind
    public var message: String
    public var errors: [FieldError]

    public init(_ kind: Kind, _ message: String, errors: [FieldError] = []) {
        self.kind = kind
        self.message = message
        self.errors = errors
    }

    public static func notFound(_ message: String) -> KernelError { KernelError(.notFound, message) }
    public static func invalidParams(_ message: String, errors: [FieldError] = []) -> KernelError {
        KernelError(.invalidParams, message, errors: errors)
    }
    public static func conflict(_ message: String) -> KernelError { KernelError(.conflict, message) }
    public static func unavailable(_ message: String) -> KernelError { KernelError(.unavailable, message) }
    public static func forbidden(_ message: String) -> KernelError { KernelError(.forbidden, message) }
    public static func `internal`(_ message: String) -> KernelError { KernelError(.internal, message) }

    public var description: String {
        if errors.isEmpty { return "\(kind.rawValue): \(message)" }
        return "\(kind.rawValue): \(message) (" + errors.map(\.description).joined(separator: "; ") + ")"
    }

    /// `{kind, message, errors?}` — the shape used by both transports.
    public var json: JSON {
        var o = JSONObject()
        o["kind"] = .string(kind.rawValue)
        o["message"] = .string(message)
        if !errors.isEmpty { o["errors"] = .array(errors.map(\.json)) }
        return .object(o)
    }
}

/// One validation failure: `path` is a dotted JSON path (`config.temperature`).
public struct FieldError: Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var message: String

    public init(_ path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }

    public var json: JSON { ["path": .string(path), "message": .string(message)] }
}
