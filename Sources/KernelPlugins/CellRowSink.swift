import KernelCore
import MCPKPluginABI

/// A row sink that takes the plugin's typed cells directly (borrowed for the
/// call), skipping the JSON values a `RowSink` receives. For streaming paths
/// that encode rows themselves (e.g. NDJSON to a socket).
public protocol CellRowSink: RowSink {
    func cells(_ cells: UnsafeBufferPointer<mcpk_value>) -> Bool
}

/// Encodes typed cells as compact JSON arrays (one per line) into a byte
/// buffer: text escaped per RFC 8259, bytes base64, non-finite doubles as strings.
public struct NDJSONRowEncoder {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 1 << 16) { bytes.reserveCapacity(capacity) }

    public mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

    public mutating func append(line: [UInt8]) {
        bytes.append(contentsOf: line)
        bytes.append(10)
    }

    public mutating func append(row cells: UnsafeBufferPointer<mcpk_value>) {
        bytes.append(UInt8(ascii: "["))
        for (i, c) in cells.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            switch UInt32(bitPattern: c.type) {
            case MCPK_TYPE_BOOL.rawValue:
                bytes.append(contentsOf: c.v.b != 0 ? NDJSONRowEncoder.trueBytes : NDJSONRowEncoder.falseBytes)
            case MCPK_TYPE_INT64.rawValue: appendInt(c.v.i)
            case MCPK_TYPE_DOUBLE.rawValue:
                if c.v.d.isFinite { bytes.append(contentsOf: "\(c.v.d)".utf8) } else { appendString("\(c.v.d)".utf8) }
            case MCPK_TYPE_TEXT.rawValue:
                if let d = c.v.s.data {
                    appendString(UnsafeRawBufferPointer(start: d, count: c.v.s.length))
                } else { bytes.append(contentsOf: NDJSONRowEncoder.nullBytes) }
            case MCPK_TYPE_BYTES.rawValue:
                if let d = c.v.s.data {
                    appendString(Base64.encode(UnsafeRawBufferPointer(start: d, count: c.v.s.length)).utf8)
                } else { bytes.append(contentsOf: NDJSONRowEncoder.nullBytes) }
            default: bytes.append(contentsOf: NDJSONRowEncoder.nullBytes)
            }
        }
        bytes.append(UInt8(ascii: "]"))
        bytes.append(10)
    }

    static let trueBytes = Array("true".utf8), falseBytes = Array("false".utf8), nullBytes = Array("null".utf8)
    static let hex = Array("0123456789abcdef".utf8)

    mutating func appendInt(_ v: Int64) {
        if v == 0 { bytes.append(UInt8(ascii: "0")); return }
        var m = v.magnitude
        var tmp: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch
        let n = withUnsafeMutableBytes(of: &tmp) { buf -> Int in
            var i = buf.count
            while m > 0 {
                i -= 1
                buf[i] = UInt8(truncatingIfNeeded: m % 10) + 48
                m /= 10
            }
            if v < 0 { i -= 1; buf[i] = UInt8(ascii: "-") }
            bytes.append(contentsOf: buf[i...])
            return i
        }
        _ = n
    }

    mutating func appendString<S: Sequence>(_ s: S) where S.Element == UInt8 {
        bytes.append(UInt8(ascii: "\""))
        for b in s {
            switch b {
            case UInt8(ascii: "\""): bytes.append(92); bytes.append(b)
            case 92: bytes.append(92); bytes.append(92)
            case 10: bytes.append(92); bytes.append(UInt8(ascii: "n"))
            case 13: bytes.append(92); bytes.append(UInt8(ascii: "r"))
            case 9: bytes.append(92); bytes.append(UInt8(ascii: "t"))
            case 0..<32:
                bytes.append(contentsOf: [92, UInt8(ascii: "u"), 48, 48, NDJSONRowEncoder.hex[Int(b >> 4)], NDJSONRowEncoder.hex[Int(b & 15)]])
            default: bytes.append(b)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
