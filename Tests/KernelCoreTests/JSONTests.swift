import Testing
@testable import KernelCore

@Suite struct JSONTests {
    @Test func roundTripsNestedValues() throws {
        let text = #"{"b":[1,2.5,"x\n\u00e9\ud83d\ude00",true,null],"a":{"k":-3}}"#
        let v = try JSONParser.parse(text)
        #expect(v["b"]?[0] == .int(1))
        #expect(v["b"]?[1] == .double(2.5))
        #expect(v["b"]?[2]?.stringValue == "x\né😀")
        #expect(v["a"]?["k"]?.intValue == -3)
        #expect(try JSONParser.parse(v.serialized()) == v)
        #expect(v.serialized().hasPrefix(#"{"b":"#))
        #expect(v.canonical().hasPrefix(#"{"a":"#))
    }

    @Test(arguments: ["", "{", "[1,]", "{\"a\" 1}", "01", "1.", "\"\\x\"", "tru", "[1] 2", "\"\u{01}\"", "\"\\ud800\""])
    func rejectsMalformed(_ text: String) {
        #expect(throws: JSONParser.Error.self) { try JSONParser.parse(text) }
    }

    @Test func limitsNesting() {
        let deep = String(repeating: "[", count: JSONParser.maxDepth + 1) + String(repeating: "]", count: JSONParser.maxDepth + 1)
        #expect(throws: JSONParser.Error.self) { try JSONParser.parse(deep) }
        let ok = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: Never.self) { try JSONParser.parse(ok) }
    }

    @Test func escapesControlCharacters() {
        #expect(JSON.string("a\"b\\c\u{01}").serialized() == #""a\"b\\c\u0001""#)
    }

    @Test func keepsInsertionOrderAndRemoves() {
        var o = JSONObject()
        o["z"] = 1; o["a"] = 2; o["m"] = 3
        o["a"] = nil
        #expect(o.keys == ["z", "m"])
        #expect(JSON.object(o).serialized() == #"{"z":1,"m":3}"#)
    }
}
