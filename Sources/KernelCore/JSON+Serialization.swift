extension JSON {
    /// Compact serialisation (no whitespace), keys in insertion order.
    public func serialized() -> String {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        write(into: &out, sortKeys: false, indent: nil, level: 0)
        return String(decoding: out, as: UTF8.self)
    }

    /// Compact serialisation as bytes, keys in insertion order.
    public func serializedBytes() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        write(into: &out, sortKeys: false, indent: nil, level: 0)
        return out
    }

    /// Canonical form: compact with sorted keys. Used for content checksums.
    public func canonical() -> String {
        var out: [UInt8] = []
        write(into: &out, sortKeys: true, indent: nil, level: 0)
        return String(decoding: out, as: UTF8.self)
    }

    /// Human-readable form with two-space indentation.
    public func pretty() -> String {
        var out: [UInt8] = []
        write(into: &out, sortKeys: false, indent: 2, level: 0)
        return String(decoding: out, as: UTF8.self)
    }

    func write(into out: inout [UInt8], sortKeys: Bool, indent: Int?, level: Int) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .double(let d):
            if d.isNaN || d.isInfinite {
                out.append(contentsOf: "null".utf8)
            } else if d.rounded() == d && abs(d) < 1e15 {
                out.append(contentsOf: String(Int64(d)).utf8)
                out.append(contentsOf: ".0".utf8)
            } else {
                out.append(contentsOf: String(d).utf8)
            }
        case .string(let s): JSON.writeString(s, into: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            for (i, v) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSON.newline(&out, indent, level + 1)
                v.write(into: &out, sortKeys: sortKeys, indent: indent, level: level + 1)
            }
            if !a.isEmpty { JSON.newline(&out, indent, level) }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            let keys = sortKeys ? o.keys.sorted() : o.keys
            for (i, k) in keys.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSON.newline(&out, indent, level + 1)
                JSON.writeString(k, into: &out)
                out.append(UInt8(ascii: ":"))
                if indent != nil { out.append(UInt8(ascii: " ")) }
                (o[k] ?? .null).write(into: &out, sortKeys: sortKeys, indent: indent, level: level + 1)
            }
            if !o.isEmpty { JSON.newline(&out, indent, level) }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func newline(_ out: inout [UInt8], _ indent: Int?, _ level: Int) {
        guard let indent else { return }
        out.append(0x0A)
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent * level))
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Fast path: most strings need no escaping and are copied whole.
        let clean = s.utf8.withContiguousStorageIfAvailable { buf -> Bool in
            for b in buf where b < 0x20 || b == 0x22 || b == 0x5C { return false }
            out.append(contentsOf: buf)
            return true
        }
        if clean == true {
            out.append(UInt8(ascii: "\""))
            return
        }
        for b in s.utf8 {
            switch b {
            case 0x22: out.append(0x5C); out.append(0x22)
            case 0x5C: out.append(0x5C); out.append(0x5C)
            case 0x0A: out.append(0x5C); out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(0x5C); out.append(UInt8(ascii: "r"))
            case 0x09: out.append(0x5C); out.append(UInt8(ascii: "t"))
            case 0x00..<0x20:
                out.append(contentsOf: "\\u00".utf8)
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 0xF)])
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

extension JSON: CustomStringConvertible {
    public var description: String { serialized() }
}
