import Testing
@testable import KernelCore

@Suite struct JSONSchemaTests {
    let schemaJSON: JSON = parseJSON("""
    {"type":"object","required":["city","days"],"additionalProperties":false,
     "properties":{
       "city":{"type":"string","minLength":2,"maxLength":20},
       "days":{"type":"integer","minimum":1,"maximum":14},
       "units":{"type":"string","enum":["metric","imperial"],"default":"metric"},
       "tags":{"type":"array","items":{"type":"string"},"maxItems":2},
       "score":{"type":["number","null"],"exclusiveMinimum":0},
       "opts":{"type":"object","properties":{"verbose":{"type":"boolean","default":false}}}
     }}
    """)

    func schema() throws -> JSONSchema {
        let (s, errors) = JSONSchema.compile(schemaJSON, path: "inputs")
        #expect(errors.isEmpty)
        return try #require(s)
    }

    @Test func acceptsValidAndAppliesDefaults() throws {
        let s = try schema()
        let filled = s.applyingDefaults(["city": "Oslo", "days": 3, "opts": [:]])
        #expect(filled == ["city": "Oslo", "days": 3, "opts": ["verbose": false], "units": "metric"])
        #expect(s.validate(filled, path: "inputs").isEmpty)
        #expect(s.validate(["city": "Oslo", "days": 3.0, "score": nil], path: "inputs").isEmpty)
    }

    @Test func reportsEveryViolationWithPaths() throws {
        let errors = try schema().validate(["city": "X", "days": 15, "units": "kelvin", "tags": ["a", 1, "c"],
                                            "score": 0, "extra": true, "opts": ["verbose": "yes"]], path: "inputs")
        #expect(errors.map(\.description) == [
            "inputs.city: must be at least 2 characters",
            "inputs.days: must be between 1 and 14",
            "inputs.units: must be one of: metric, imperial",
            "inputs.tags: must have at most 2 items",
            "inputs.tags[1]: must be a string",
            "inputs.score: must be greater than 0",
            "inputs.opts.verbose: must be a boolean",
            "inputs.extra: unknown field",
        ])
        #expect(try schema().validate([:], path: "inputs").map(\.description) == ["inputs.city: is required", "inputs.days: is required"])
        #expect(try schema().validate(["city": "Oslo", "days": 1, "score": "x"], path: "inputs").map(\.description)
                == ["inputs.score: must be a number or null"])
        #expect(try schema().validate("x", path: "inputs").map(\.description) == ["inputs: must be an object"])
    }

    @Test func rejectsUnsupportedAndMalformedSchemas() {
        let (s, errors) = JSONSchema.compile(["type": "object", "properties": ["a": ["type": "strin"], "b": ["not": [:]]],
                                              "required": "a", "x-ui": 1, "frobnicate": true], path: "inputs")
        #expect(s == nil)
        #expect(errors.map(\.path) == ["inputs.properties.a.type", "inputs.properties.b.not", "inputs.required", "inputs.frobnicate"])
        #expect(errors[0].message == "unknown type 'strin'; valid types: array, boolean, integer, null, number, object, string")
        #expect(errors[1].message.hasPrefix("unsupported keyword"))
        #expect(errors[3].message == "unknown keyword")
    }

    @Test func additionalPropertiesSchema() throws {
        let (s, _) = JSONSchema.compile(["type": "object", "additionalProperties": ["type": "integer"]], path: "p")
        #expect(try #require(s).validate(["a": 1, "b": "x"], path: "p").map(\.description) == ["p.b: must be an integer"])
    }
}

/// The applicators added for plugin-declared component schemas (issue 13).
@Suite struct JSONSchemaApplicatorTests {
    func compile(_ text: String) throws -> JSONSchema {
        let (s, errors) = JSONSchema.compile(parseJSON(text), path: "s")
        #expect(errors.isEmpty, "\(errors)")
        return try #require(s)
    }

    @Test func ifThenElseAndDependentRequired() throws {
        let s = try compile("""
        {"type":"object","properties":{"mode":{"type":"string"},"a":{},"b":{},"user":{},"password":{}},
         "if":{"properties":{"mode":{"const":"x"}},"required":["mode"]},"then":{"required":["a"]},"else":{"required":["b"]},
         "dependentRequired":{"user":["password"]}}
        """)
        #expect(s.validate(["mode": "x"], path: "c").map(\.description) == ["c.a: is required when mode is x"])
        #expect(s.validate(["mode": "y"], path: "c").map(\.description) == ["c.b: is required"])
        #expect(s.validate(["mode": "y", "b": 1, "user": "u"], path: "c").map(\.description) == ["c.password: is required when user is set"])
        #expect(s.validate(["mode": "x", "a": 1, "user": "u", "password": "p"], path: "c").isEmpty)
    }

    @Test func oneOfWithADiscriminatorReportsOnlyTheChosenBranch() throws {
        let s = try compile("""
        {"type":"object","oneOf":[
          {"properties":{"kind":{"const":"circle"},"r":{"type":"number"}},"required":["kind","r"]},
          {"properties":{"kind":{"const":"square"},"side":{"type":"number"}},"required":["kind","side"]}]}
        """)
        #expect(s.validate(["kind": "square", "side": "x"], path: "c").map(\.description) == ["c.side: must be a number"])
        #expect(s.validate(["kind": "circle"], path: "c").map(\.description) == ["c.r: is required"])
        #expect(s.validate(["kind": "hexagon"], path: "c").map(\.description) == ["c.kind: must be one of: circle, square"])
        #expect(s.validate([:], path: "c").map(\.description) == ["c.kind: is required; one of: circle, square"])
        #expect(s.validate(["kind": "circle", "r": 1], path: "c").isEmpty)
        // Without a discriminator: exactly one branch must match.
        let plain = try compile(#"{"oneOf":[{"type":"integer"},{"type":"number"}]}"#)
        #expect(plain.validate(1.5, path: "v").isEmpty)
        #expect(plain.validate(1, path: "v").map(\.description) == ["v: must match exactly one of 2 alternatives (matches 2)"])
    }

    @Test func anyOfAllOfAndFormats() throws {
        let s = try compile("""
        {"type":"object","properties":{"url":{"type":"string","format":"uri"},"repo":{"type":"string","x-mcpk-format":"git-url"}},
         "anyOf":[{"required":["url"]},{"required":["repo"]}],"allOf":[{"properties":{"url":{"maxLength":30}}}]}
        """)
        #expect(s.validate([:], path: "c").map(\.description) == ["c: requires one of: url, repo"])
        #expect(s.validate(["url": "not a uri"], path: "c").map(\.description) == ["c.url: must be an absolute URI"])
        #expect(s.validate(["url": "https://example.com/a/very/long/path/indeed"], path: "c").map(\.description) == ["c.url: must be at most 30 characters"])
        #expect(s.validate(["repo": "ssh://h/r"], path: "c").count == 1)
        let (_, bad) = JSONSchema.compile(parseJSON(#"{"x-mcpk-format":"nope","oneOf":[]}"#), path: "s")
        #expect(Set(bad.map(\.path)) == ["s.x-mcpk-format", "s.oneOf"])
    }
}
