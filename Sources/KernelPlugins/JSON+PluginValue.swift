import KernelCore
import MCPKPluginABI

extension JSON {
    /// This value as an ABI cell or parameter (`mcpk_value`): null, bool, int64 and double by
    /// value; a string as TEXT, and an array or object as the TEXT of its compact JSON (bytes
    /// columns reach a plugin base64-encoded, as `connection.query` shows them). TEXT bytes are
    /// allocated with `hostCString` and appended to `owned`: the caller deallocates them once the
    /// plugin call that borrows the value has returned.
    func pluginValue(owning owned: inout [UnsafeMutablePointer<CChar>]) -> mcpk_value {
        var v = mcpk_value()
        switch self {
        case .null: v.type = Int32(MCPK_TYPE_NULL.rawValue)
        case .bool(let b): v.type = Int32(MCPK_TYPE_BOOL.rawValue); v.v.b = b ? 1 : 0
        case .int(let i): v.type = Int32(MCPK_TYPE_INT64.rawValue); v.v.i = i
        case .double(let d): v.type = Int32(MCPK_TYPE_DOUBLE.rawValue); v.v.d = d
        case .string, .array, .object:
            let text = stringValue ?? serialized()
            let p = hostCString(text)
            owned.append(p)
            v.type = Int32(MCPK_TYPE_TEXT.rawValue)
            v.v.s.data = UnsafePointer(p)
            v.v.s.length = text.utf8.count
        }
        return v
    }
}
