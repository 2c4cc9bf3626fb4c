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

    @Test func errorsNameLineAndColumn() {
        // Line 4, column 12 is the stray `]` (columns count characters, not bytes: é is one).
        let text = "{\n  \"a\": 1,\n  \"c\": 2,\n  \"é\": [1,2}]\n}"
        do {
            _ = try JSONParser.parse(text)
            Issue.record("parsed malformed JSON")
        } catch let e as JSONParser.Error {
            #expect(e.line == 4 && e.column == 12, "\(e)")
            #expect(e.description == "expected ',' or ']' at line 4, column 12 (byte \(e.offset))")
        } catch {
            Issue.record("unexpected \(error)")
        }
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

    @Test func largeObjectsKeepOrderAndLookupsThroughTheirIndex() {
        var o = JSONObject()
        let n = JSONObject.indexThreshold * 2
        for i in 0..<n { o["k\(i)"] = .int(Int64(i)) }
        o["k3"] = nil
        o["k\(n - 1)"] = nil
        o["k5"] = "five"
        o["extra"] = true
        #expect(o.count == n - 1)
        #expect(o["k3"] == nil && o["k4"] == .int(4) && o["k5"] == "five" && o["extra"] == true)
        #expect(o.keys.first == "k0" && o.keys.last == "extra" && !o.keys.contains("k3"))
        // Shrinking below the threshold still finds every key (linear search again).
        for i in 0..<(n - 4) where i != 3 { o["k\(i)"] = nil }
        #expect(o.keys == ["k\(n - 4)", "k\(n - 3)", "k\(n - 2)", "extra"])
        #expect(o["k\(n - 3)"] == .int(Int64(n - 3)))
    }

    @Test func objectEqualityIgnoresKeyOrder() {
        #expect(JSONObject([("a", 1), ("b", 2)]) == JSONObject([("b", 2), ("a", 1)]))
        #expect(JSONObject([("a", 1), ("b", 2)]) != JSONObject([("a", 1), ("b", 3)]))
        #expect(JSONObject([("a", 1)]) != JSONObject([("a", 1), ("b", 2)]))
    }

    @Test func timestampsFormatAcrossTheirRange() {
        #expect(Timestamp(milliseconds: 0).rfc3339 == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp(milliseconds: 1_795_290_986_123).rfc3339 == "2026-11-21T19:56:26.123Z")
        #expect(Timestamp(milliseconds: -1).rfc3339 == "1969-12-31T23:59:59.999Z")
        #expect(Timestamp(milliseconds: 253_402_300_799_999).rfc3339 == "9999-12-31T23:59:59.999Z")
        #expect(Timestamp(milliseconds: 253_402_300_800_000).rfc3339 == "10000-01-01T00:00:00.000Z")
        for ms: Int64 in [0, 1_795_290_986_123, -1, 86_399_999] {
            #expect(Timestamp(rfc3339: Timestamp(milliseconds: ms).rfc3339)?.milliseconds == ms)
        }
    }

    /// Found by the `json` fuzz target: `1e400` parsed to infinity and serialised as `null`.
    @Test func numbersOutOfRangeAreRefusedNotTurnedIntoNull() throws {
        #expect(throws: (any Error).self) { try JSONParser.parse(Array("1e400".utf8)) }
        #expect(throws: (any Error).self) { try JSONParser.parse(Array("[-1e999]".utf8)) }
        #expect(try JSONParser.parse(Array("1e300".utf8)) == .double(1e300))
    }
}
