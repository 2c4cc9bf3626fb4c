import Testing
@testable import KernelCore

@Suite struct DotEnvTests {
    @Test func parsesCommentsQuotesAndExport() throws {
        let text = """
        # a comment
        A=1
        export B = two words  # trailing comment
        C='single # not a comment'
        D="line\\nbreak \\"quoted\\""

        E=
        F=a#b
        """
        let pairs = try DotEnv.parse(text)
        let d = Dictionary(uniqueKeysWithValues: pairs.map { ($0.key, $0.value) })
        #expect(d["A"] == "1")
        #expect(d["B"] == "two words")
        #expect(d["C"] == "single # not a comment")
        #expect(d["D"] == "line\nbreak \"quoted\"")
        #expect(d["E"] == "")
        #expect(d["F"] == "a#b")
        #expect(pairs.map(\.key) == ["A", "B", "C", "D", "E", "F"])
    }

    @Test(arguments: [
        ("A=1\nnot a pair\n", 2, "expected KEY=value"),
        ("1A=x", 1, "invalid variable name '1A'"),
        ("A='open", 1, "unterminated single quote"),
        ("\n\nA=\"open", 3, "unterminated double quote"),
        ("A=\"x\" y", 1, "unexpected characters after closing quote"),
    ])
    func malformedLinesNameTheLine(_ text: String, _ line: Int, _ message: String) {
        #expect(throws: DotEnv.Error(line: line, message: message)) { try DotEnv.parse(text) }
    }
}

@Suite struct ParamsTests {
    @Test func typedAccessorsReportPaths() throws {
        let p = Params(["name": "x", "n": 3, "tags": ["a", 1], "flag": "yes"])
        #expect(try p.string("name") == "x")
        #expect(try p.optionalInt("n") == 3)
        #expect(try p.optionalString("missing") == nil)
        #expect(throws: KernelError.invalidParams("invalid params", errors: [FieldError("id", "is required")])) { try p.string("id") }
        #expect(throws: KernelError.invalidParams("invalid params", errors: [FieldError("tags[1]", "must be a string")])) {
            try p.optionalStringArray("tags")
        }
        #expect(throws: KernelError.invalidParams("invalid params", errors: [FieldError("flag", "must be a boolean")])) {
            try p.optionalBool("flag")
        }
        #expect(throws: KernelError.invalidParams("invalid params", errors: [FieldError("n", "must be between 5 and 10")])) {
            try p.optionalInt("n", in: 5...10)
        }
    }
}
