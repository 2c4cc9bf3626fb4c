import Testing
@testable import KernelCore

@Suite struct ExpressionTests {
    let context = ReferenceContext(
        inputs: ["name": "Ada", "n": 3, "items": [["id": 1], ["id": 2]], "flag": true, "odd key": "v"],
        steps: [
            "fetch": .init(status: .succeeded, result: ["rows": [["x": 10], ["x": 20]], "count": 2, "ok": true]),
            "broken": .init(status: .failed, error: "boom"),
        ])

    @Test func parsesReferences() throws {
        #expect(try Reference.parse("inputs.items[1].id") == Reference(root: .inputs, path: [.key("items"), .index(1), .key("id")]))
        #expect(try Reference.parse(" steps.fetch.result.rows[0][\"x\"] ")
                == Reference(root: .step(id: "fetch", field: .result), path: [.key("rows"), .index(0), .key("x")]))
        #expect(try Reference.parse("steps.a-1.status") == Reference(root: .step(id: "a-1", field: .status)))
        #expect(try Reference.parse("inputs[\"odd key\"]").description == #"inputs["odd key"]"#)
    }

    @Test(arguments: [
        ("foo.x", "invalid reference 'foo.x': unknown root 'foo' (expected 'inputs', 'steps', 'item', 'index', 'vars' or 'secrets')"),
        ("steps.a", "invalid reference 'steps.a': expected .result, .status or .error after 'steps.a'"),
        ("steps.a.output", "invalid reference 'steps.a.output': expected .result, .status or .error after 'steps.a'"),
        ("steps.a.status.x", "invalid reference 'steps.a.status.x': 'steps.a.status' has no fields"),
        ("inputs.", "invalid reference 'inputs.': expected a name after '.'"),
        ("inputs[x]", "invalid reference 'inputs[x]': expected an index or a quoted key in '[]'"),
        ("inputs.a b", "invalid reference 'inputs.a b': unexpected ' '"),
        ("", "invalid reference '': expected 'inputs', 'steps', 'item', 'index', 'vars' or 'secrets'"),
    ])
    func rejectsBadReferences(_ text: String, _ message: String) {
        #expect(throws: ExpressionError(message)) { try Reference.parse(text) }
    }

    @Test func wholeReferenceKeepsType() throws {
        #expect(try Template.parse("${inputs.n}").resolve(in: context) == .int(3))
        #expect(try Template.parse("${steps.fetch.result.rows}").resolve(in: context) == [["x": 10], ["x": 20]])
        #expect(try Template.parse("${steps.fetch.result.ok}").resolve(in: context) == .bool(true))
        #expect(try Template.parse("${steps.broken.status}").resolve(in: context) == "failed")
        #expect(try Template.parse("${steps.broken.error}").resolve(in: context) == "boom")
    }

    @Test func embeddedReferencesInterpolate() throws {
        #expect(try Template.parse("Hi ${inputs.name}, n=${inputs.n}, first=${inputs.items[0]}").resolve(in: context)
                == "Hi Ada, n=3, first={\"id\":1}")
        #expect(try Template.parse("$${inputs.n} is ${inputs.n}, costs $5").resolve(in: context) == "${inputs.n} is 3, costs $5")
        #expect(try Template.parse("no refs").resolve(in: context) == "no refs")
    }

    @Test func resolvesNestedValues() throws {
        let mapping: JSON = ["a": "${inputs.name}", "b": ["${steps.fetch.result.count}", 5], "c": ["d": "x${inputs.n}"], "e": nil]
        #expect(try Template.resolveValue(mapping, in: context) == ["a": "Ada", "b": [2, 5], "c": ["d": "x3"], "e": nil])
    }

    @Test(arguments: [
        ("${inputs.missing}", "${inputs.missing}: inputs has no field 'missing'"),
        ("${inputs.items[5].id}", "${inputs.items[5].id}: inputs.items has no index 5 (length 2)"),
        ("${inputs.name.first}", "${inputs.name.first}: inputs.name is a string, so it has no field 'first'"),
        ("${inputs.n[0]}", "${inputs.n[0]}: inputs.n is an integer, not an array"),
        ("${steps.fetch.result.rows[0].y}", "${steps.fetch.result.rows[0].y}: steps.fetch.result.rows[0] has no field 'y'"),
        ("${steps.nope.result}", "${steps.nope.result}: step 'nope' has not run"),
        ("${steps.broken.result}", "${steps.broken.result}: step 'broken' has no result (status failed)"),
    ])
    func missingPathsAreNamed(_ text: String, _ message: String) {
        #expect(throws: ExpressionError(message)) { try Template.parse(text).resolve(in: context) }
    }

    @Test func unterminatedTemplate() {
        #expect(throws: ExpressionError("unterminated '${' at character 4")) { try Template.parse("ab ${inputs.x") }
    }

    @Test(arguments: [
        ("inputs.n > 2", true),
        ("${inputs.n} >= 4", false),
        ("inputs.name == 'Ada' && !(inputs.n < 3)", true),
        ("inputs.name != \"Ada\" || steps.fetch.result.count == 2.0", true),
        ("steps.fetch.result.ok", true),
        ("!steps.fetch.result.ok", false),
        ("steps.broken.status == 'failed'", true),
        ("inputs.items == inputs.items && null == null", true),
        ("'b' > 'a' && -1.5 < 0", true),
        ("true && (false || (inputs.flag))", true),
        ("inputs.n == 3 && inputs.n != 3", false),
        ("inputs[\"odd key\"] == 'v'", true),
    ])
    func evaluatesConditions(_ text: String, _ expected: Bool) throws {
        #expect(try WhenExpression.parse(text).evaluate(in: context) == expected)
    }

    @Test func shortCircuits() throws {
        // The right side would fail (missing path) but is never evaluated.
        #expect(try WhenExpression.parse("false && inputs.missing == 1").evaluate(in: context) == false)
        #expect(try WhenExpression.parse("true || inputs.missing == 1").evaluate(in: context) == true)
        #expect(throws: ExpressionError("${inputs.missing}: inputs has no field 'missing'")) {
            try WhenExpression.parse("inputs.missing == 1").evaluate(in: context)
        }
        #expect(throws: ExpressionError("cannot compare string with integer using '<'")) {
            try WhenExpression.parse("inputs.name < 3").evaluate(in: context)
        }
    }

    @Test(arguments: [
        ("inputs.n >", "expected a value at character 11, found end of expression"),
        ("inputs.n = 3", "expected '==' at character 10"),
        ("(inputs.n == 3", "expected ')' at character 15"),
        ("1 < 2 < 3", "chained comparison at character 7; use '&&'"),
        ("inputs.n & 1", "expected '&&' at character 10"),
        ("inputs.n == 1 and true", "use '&&', '||' and '!' instead of 'and' (character 15)"),
        ("'open", "unterminated string at character 1"),
        ("inputs.n == 3 )", "unexpected ')' at character 15"),
        ("foo == 1", "invalid reference 'foo': unknown root 'foo' (expected 'inputs', 'steps', 'item', 'index', 'vars' or 'secrets')"),
        ("inputs.n # 1", "unexpected character '#' at character 10"),
    ])
    func reportsParseErrors(_ text: String, _ message: String) {
        #expect(throws: ExpressionError(message)) { try WhenExpression.parse(text) }
    }

    @Test func limitsDepthAndLength() throws {
        let deep = String(repeating: "(", count: 100) + "true" + String(repeating: ")", count: 100)
        #expect(throws: ExpressionError("expression nested deeper than 64")) { try WhenExpression.parse(deep) }
        let nots = String(repeating: "!", count: 100) + "true"
        #expect(throws: ExpressionError("expression nested deeper than 64")) { try WhenExpression.parse(nots) }
        #expect(throws: ExpressionError("expression longer than 4096 characters")) {
            try WhenExpression.parse(String(repeating: "1", count: 5000))
        }
        #expect(try WhenExpression.parse("!!true").evaluate(in: context) == true)
    }

    @Test func truthiness() {
        for v: JSON in [nil, false, 0, 0.0, "", [], [:]] { #expect(!WhenExpression.truthy(v)) }
        for v: JSON in [true, 1, -0.5, "x", [nil], ["a": nil]] { #expect(WhenExpression.truthy(v)) }
    }
}
