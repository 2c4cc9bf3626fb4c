/// A validated workflow definition: `{inputs?: JSON Schema, steps, outputs?, concurrency?}`.
public struct WorkflowDefinition: Sendable {
    public static let maxSteps = 1000
    public static let maxConcurrency = 1000

    /// The run-input schema (nil = any object).
    public var inputSchema: JSONSchema?
    public var steps: [WorkflowStep]
    /// Output mapping (templates over inputs and step results); nil = leaf step results.
    public var outputs: JSONObject?
    /// Maximum concurrent runs of this workflow.
    public var concurrency: Int?
    /// The normalised definition (defaults applied), as stored and checksummed.
    public var json: JSON

    public func step(_ id: String) -> WorkflowStep? { steps.first { $0.id == id } }

    /// sha256 hex of the canonical normalised definition.
    public var checksum: String { json.contentChecksum }

    /// The definition-level fields (one source for validation and JSON Schema export).
    static let fields: [FieldDefinition] = [
        FieldDefinition("inputs", .object(fields: nil), "JSON Schema of the run inputs."),
        FieldDefinition("steps", .array(items: .object(fields: WorkflowStep.fields)), required: true, "The steps (a DAG through `needs`)."),
        FieldDefinition("outputs", .object(fields: nil), "Output mapping; the leaf steps' results when omitted."),
        FieldDefinition("concurrency", .integer, minimum: 1, maximum: Double(maxConcurrency), "Maximum concurrent runs."),
        FieldDefinition("expose", .array(items: .string),
                        "Entry points that publish the workflow: [\"mcp\"] makes it an MCP tool named after the workflow (its description is the tool's)."),
    ]

    /// JSON Schema (2020-12) of a definition.
    public static var jsonSchema: JSON {
        var o = FieldDefinition.schema(of: .object(fields: fields))
        o["$schema"] = .string(ComponentConventions.schemaDialect)
        o["title"] = "Workflow definition"
        return .object(o)
    }

    /// The workflow's output value once every step has finished: the explicit
    /// `outputs` mapping resolved, or `{leafStepID: result}` of the succeeded leaf steps.
    public func outputs(in context: ReferenceContext) throws -> JSON {
        if let outputs { return try Template.resolveValue(.object(outputs), in: context) }
        var o = JSONObject()
        for id in leafSteps {
            if let outcome = context.steps[id], outcome.status.isSuccess { o[id] = outcome.result }
        }
        return .object(o)
    }
}
