import KernelCore
import MCPKPluginABI

/// The ABI's status codes (`MCPK_STATUS_*`) as a Swift enum.
public enum PluginStatus: Int32, Sendable {
    case ok = 0, unknown, notImplemented, notFound, invalidArgument, invalidState, io, timeout,
         cancelled, unauthenticated, forbidden, noMemory, `internal`

    public init(code: Int32) { self = PluginStatus(rawValue: code) ?? .unknown }

    /// The stable kernel error kind a plugin status is reported as (see plugin.h).
    public var kind: KernelError.Kind {
        switch self {
        case .ok, .unknown, .noMemory, .internal: return .internal
        case .notImplemented, .invalidArgument: return .invalidParams
        case .notFound: return .notFound
        case .invalidState, .cancelled: return .conflict
        case .io, .timeout: return .unavailable
        case .unauthenticated, .forbidden: return .forbidden
        }
    }

    public var name: String {
        switch self {
        case .ok: return "ok"
        case .unknown: return "unknown"
        case .notImplemented: return "not implemented"
        case .notFound: return "not found"
        case .invalidArgument: return "invalid argument"
        case .invalidState: return "invalid state"
        case .io: return "I/O error"
        case .timeout: return "timeout"
        case .cancelled: return "cancelled"
        case .unauthenticated: return "unauthenticated"
        case .forbidden: return "forbidden"
        case .noMemory: return "out of memory"
        case .internal: return "internal error"
        }
    }
}

/// A plugin failure: status, message, SQLSTATE and vendor code, taken out of an `mcpk_error`.
public struct PluginFailure: Error, Sendable, Equatable {
    public var status: PluginStatus
    public var message: String
    public var sqlstate: String?
    public var vendorCode: Int32

    public init(status: PluginStatus, message: String, sqlstate: String? = nil, vendorCode: Int32 = 0) {
        self.status = status
        self.message = message
        self.sqlstate = sqlstate
        self.vendorCode = vendorCode
    }

    /// Reads and releases `err` (which the caller zero-initialised before the call).
    public init(status code: Int32, consuming err: inout mcpk_error) {
        let status = PluginStatus(code: code)
        var message = err.message.map { String(cString: $0) } ?? ""
        let state: String? = withUnsafeBytes(of: err.sqlstate) { raw in
            let bytes = raw.prefix(5).prefix { $0 != 0 }
            return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self)
        }
        if message.isEmpty { message = status.name }
        self.init(status: status, message: message, sqlstate: state, vendorCode: err.vendor_code)
        PluginFailure.release(&err)
    }

    /// Releases an `mcpk_error` if its producer set `release`, and zeroes it.
    public static func release(_ err: inout mcpk_error) {
        if let release = err.release { release(&err) }
        err = mcpk_error()
    }

    public var kernelError: KernelError {
        var text = message
        if let sqlstate { text += " (SQLSTATE \(sqlstate))" }
        return KernelError(status.kind, text)
    }

    public var json: JSON {
        var o = JSONObject()
        o["status"] = .string(status.name)
        o["message"] = .string(message)
        if let sqlstate { o["sqlstate"] = .string(sqlstate) }
        if vendorCode != 0 { o["vendor_code"] = .int(Int64(vendorCode)) }
        return .object(o)
    }

    public init(json: JSON) {
        let statusName = json["status"]?.stringValue ?? "unknown"
        let status = (0...12).compactMap { PluginStatus(rawValue: Int32($0)) }.first { $0.name == statusName } ?? .unknown
        self.init(status: status, message: json["message"]?.stringValue ?? statusName,
                  sqlstate: json["sqlstate"]?.stringValue,
                  vendorCode: Int32(truncatingIfNeeded: json["vendor_code"]?.intValue ?? 0))
    }
}

extension mcpk_string {
    /// Takes the string out of an `mcpk_string` filled by a plugin and releases it.
    static func take(_ s: inout mcpk_string) -> String? {
        defer {
            if let release = s.release { release(&s) }
            s = mcpk_string()
        }
        guard let data = s.data else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: data, count: s.length), as: UTF8.self)
    }
}
