import KernelCore

/// Why a library could not be loaded as a plugin. Each case has a clear,
/// user-facing reason; the host records it and keeps running.
public enum PluginLoadError: Error, Sendable, Equatable, CustomStringConvertible {
    case openFailed(String)
    case noSymbol(String)
    case wrongABI(String)
    case tableTooSmall(String)
    case initFailed(String)
    case invalidMetadata(String)
    case childFailed(String)
    /// Not an mcpk plugin but an ADBC driver (exports `AdbcDriverInit` or
    /// `AdbcDriver<Name>Init`): listed as such, served through the `adbc` bridge.
    case adbcDriver(String)

    public var reason: String {
        switch self {
        case .openFailed: return "open_failed"
        case .noSymbol: return "no_symbol"
        case .wrongABI: return "wrong_abi"
        case .tableTooSmall: return "table_too_small"
        case .initFailed: return "init_failed"
        case .invalidMetadata: return "invalid_metadata"
        case .childFailed: return "child_failed"
        case .adbcDriver: return "adbc_driver"
        }
    }

    public var message: String {
        switch self {
        case .openFailed(let m), .noSymbol(let m), .wrongABI(let m), .tableTooSmall(let m),
             .initFailed(let m), .invalidMetadata(let m), .childFailed(let m), .adbcDriver(let m):
            return m
        }
    }

    public var description: String { "\(reason): \(message)" }

    public var json: JSON { ["reason": .string(reason), "message": .string(message)] }

    public init(json: JSON) {
        let m = json["message"]?.stringValue ?? "unknown load error"
        switch json["reason"]?.stringValue {
        case "open_failed": self = .openFailed(m)
        case "no_symbol": self = .noSymbol(m)
        case "wrong_abi": self = .wrongABI(m)
        case "table_too_small": self = .tableTooSmall(m)
        case "init_failed": self = .initFailed(m)
        case "invalid_metadata": self = .invalidMetadata(m)
        case "adbc_driver": self = .adbcDriver(m)
        default: self = .childFailed(m)
        }
    }
}
