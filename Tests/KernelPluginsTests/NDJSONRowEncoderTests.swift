import KernelCore
import KernelPlugins
import MCPKPluginABI
import Testing

@Suite struct NDJSONRowEncoderTests {
    @Test func typedCellsEncodeAsValidJSON() throws {
        let text = "q\"b\\n\n\t\u{1}é"
        var enc = NDJSONRowEncoder()
        try text.withCString { t in
            var cells = [mcpk_value](repeating: mcpk_value(), count: 7)
            cells[0].type = Int32(MCPK_TYPE_INT64.rawValue); cells[0].v.i = -1234567890123
            cells[1].type = Int32(MCPK_TYPE_DOUBLE.rawValue); cells[1].v.d = 0.1
            cells[2].type = Int32(MCPK_TYPE_BOOL.rawValue); cells[2].v.b = 1
            cells[3].type = Int32(MCPK_TYPE_NULL.rawValue)
            cells[4].type = Int32(MCPK_TYPE_TEXT.rawValue); cells[4].v.s.data = t; cells[4].v.s.length = text.utf8.count
            cells[5].type = Int32(MCPK_TYPE_BYTES.rawValue); cells[5].v.s.data = t; cells[5].v.s.length = 2
            cells[6].type = Int32(MCPK_TYPE_INT64.rawValue); cells[6].v.i = Int64.min
            cells.withUnsafeBufferPointer { enc.append(row: $0) }
            let line = Array(enc.bytes.dropLast())
            #expect(enc.bytes.last == 10)
            let parsed = try JSONParser.parse(line)
            #expect(parsed == [.int(-1234567890123), 0.1, true, .null, .string(text), "cSI=", .int(Int64.min)])
        }
    }
}
