import KernelCore
import Testing

/// `${vars.NAME}` / `${secrets.NAME}` references and the secret mask (issue 17).
@Suite struct WorkspaceReferenceTests {
    @Test func parsesAndResolvesVariablesAndSecrets() throws {
        let t = try Template.parse("Bearer ${secrets.API_KEY} in ${vars.region}")
        #expect(t.references.map(\.description) == ["secrets.API_KEY", "vars.region"])
        #expect(t.references.compactMap(\.secretName) == ["API_KEY"] && t.references.compactMap(\.variableName) == ["region"])
        let ctx = ReferenceContext(inputs: [:], variables: ["region": "eu"], secrets: ["API_KEY": "k-1"])
        #expect(try t.resolve(in: ctx) == "Bearer k-1 in eu")
        #expect(throws: ExpressionError("${secrets.OTHER}: no secret named 'OTHER' (mcpk secrets set OTHER)")) {
            try Template.parse("${secrets.OTHER}").resolve(in: ctx)
        }
    }

    @Test(arguments: [
        ("vars", "invalid reference 'vars': expected '.<name>' after 'vars'"),
        ("secrets.1x", "invalid reference 'secrets.1x': expected a name after 'secrets.' (a letter or '_', then letters, digits, '_' and '-')"),
        ("vars.a.b", "invalid reference 'vars.a.b': 'vars.a' is text and has no fields"),
    ])
    func rejectsBadValueReferences(_ text: String, _ message: String) {
        #expect(throws: ExpressionError(message)) { try Reference.parse(text) }
    }

    @Test func redactorMasksEveryOccurrenceLongestFirst() {
        let r = SecretRedactor(["abc", "abcdef", ""])
        #expect(r.redact("x abcdef y abc") == "x *** y ***")
        #expect(r.redact(["k": ["abc", 1], "abcdef": "ok"]) == ["k": ["***", 1], "***": "ok"])
        #expect(SecretRedactor([]).isEmpty && SecretRedactor([""]).isEmpty)
    }
}
