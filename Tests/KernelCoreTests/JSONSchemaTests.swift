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
        let (s, errors) = JSONSchema.compile(["type": "object", "properties": ["a": ["type": "strin"], "b": ["oneOf": []]],
                                              "required": "a", "x-ui": 1, "frobnicate": true], path: "inputs")
        #expect(s == nil)
        #expect(errors.map(\.path) == ["inputs.properties.a.type", "inputs.properties.b.oneOf", "inputs.required", "inputs.frobnicate"])
        #expect(errors[0].message == "unknown type 'strin'; valid types: array, boolean, integer, null, number, object, string")
        #expect(errors[1].message.hasPrefix("unsupported keyword"))
        #expect(errors[3].message == "unknown keyword")
    }

    @Test func additionalPropertiesSchema() throws {
        let (s, _) = JSONSchema.compile(["type": "object", "additionalProperties": ["type": "integer"]], path: "p")
        #expect(try #require(s).validate(["a": 1, "b": "x"], path: "p").map(\.description) == ["p.b: must be an integer"])
    }
}
