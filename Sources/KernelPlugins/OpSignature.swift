import KernelCore
import MCPKPluginABI

/// A parsed extra-operation signature such as `"s(si)"`: a return type code
/// and argument type codes (see plugin.h, group mcpk-ops).
public struct OpSignature: Sendable, Equatable, CustomStringConvertible {
    public enum Code: Character, Sendable {
        case void = "v", bool = "b", int32 = "i", int64 = "l", double = "d", string = "s"

        var name: String {
            switch self {
            case .void: return "void"
            case .bool: return "boolean"
            case .int32: return "32-bit integer"
            case .int64: return "integer"
            case .double: return "number"
            case .string: return "string"
            }
        }
    }

    public struct ParseError: Error, CustomStringConvertible {
        public let description: String
    }

    public let returns: Code
    public let arguments: [Code]

    public init(parsing text: String) throws {
        let chars = Array(text)
        guard chars.count >= 3, chars[1] == "(", chars.last == ")" else {
            throw ParseError(description: "signature \"\(text)\" is not of the form R(A…), e.g. \"s(si)\"")
        }
        guard let r = Code(rawValue: chars[0]) else {
            throw ParseError(description: "signature \"\(text)\": unknown return type '\(chars[0])'")
        }
        var args: [Code] = []
        for c in chars[2..<(chars.count - 1)] {
            guard let a = Code(rawValue: c), a != .void else {
                throw ParseError(description: "signature \"\(text)\": unknown argument type '\(c)'")
            }
            args.append(a)
        }
        if args.count > Int(MCPK_OP_MAX_ARGS) {
            throw ParseError(description: "signature \"\(text)\": more than \(MCPK_OP_MAX_ARGS) arguments")
        }
        returns = r
        arguments = args
    }

    public var description: String { "\(returns.rawValue)(\(String(arguments.map(\.rawValue))))" }
}
