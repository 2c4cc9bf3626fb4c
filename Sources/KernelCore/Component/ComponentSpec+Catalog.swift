/// The nine component types (DESIGN.md §8, issue 3), with the console's
/// camelCase field names.
extension ComponentSpec {
    // Limits and defaults (named constants).
    public static let defaultTemperature = 0.7
    public static let maxTemperature = 2.0
    public static let defaultMaxTokens: Int64 = 1024
    public static let defaultNotebookKernel = "python3"
    public static let defaultStreamlitMainScript = "app.py"
    /// A service step's lifetime when `ttlSeconds` is unset (Plugins/streamlit, ProcessStep use the same value).
    public static let defaultServiceTTLSeconds = 3600
    public static let defaultDataMaxRows: Int64 = 1000
    public static let maxDataMaxRows = 1_000_000.0
    /// How a Data step returns its rows: inline (`rows`, when absent) or as an Arrow IPC stream artifact.
    public static let dataResultFormats = ["rows", "arrow"]
    /// Longest `resultArtifact` (an artifact file name; `ArtifactNames.maxNameLength`).
    public static let maxDataArtifactNameLength = 200
    public static let maxStepTimeoutSeconds = 7.0 * 24 * 3600
    public static let maxMemoryMb = 1_048_576.0
    public static let maxCodeBytes = 4 << 20
    public static let maxNameLength = 200

    /// The built-in spec of a bundled type, or nil (a plugin-declared type: `ComponentTypes`).
    public static func `for`(_ type: ComponentType) -> ComponentSpec? {
        switch type {
        case .llmPromptAgent: return llmPromptAgent
        case .jupyterNotebook: return jupyterNotebook
        case .pythonScript: return script(.pythonScript, language: "Python",
                                          convention: "defines `main(**inputs)` and returns the result")
        case .typeScriptScript: return script(.typeScriptScript, language: "TypeScript",
                                              convention: "exports `main(inputs)` and returns the result")
        case .streamlitApp: return streamlitApp
        case .mcp: return mcp
        case .data: return data
        case .utility: return utility
        case .output: return output
        default: return nil
        }
    }

    /// The step inputs of a type that may carry `${secrets.NAME}` (the only place a secret
    /// reference is allowed). LLM Prompt Agent: `apiKey`, the bearer key of the endpoint (over
    /// `apiKeySecret`). Scripts: `secrets`, an object of values the code reads (`main(secrets=…)`).
    public static func secretInputs(of type: ComponentType) -> [String] {
        switch type {
        case .llmPromptAgent: return ["apiKey"]
        case .pythonScript, .typeScriptScript: return ["secrets"]
        default: return []
        }
    }

    /// The schema hint (`"x-mcpk-template": true`) of a config field whose `${inputs…}` references
    /// the engine resolves against the step's inputs before any executor plugin sees the step.
    public static let templateHint = "x-mcpk-template"

    /// The config fields of a bundled type that are templates over the step inputs.
    public static func templateFields(of type: ComponentType) -> [String] {
        switch type {
        case .llmPromptAgent: return ["systemPrompt", "userPromptTemplate"]
        case .data: return ["query", "params"]
        case .utility: return ["args", "template"]
        default: return []
        }
    }

    static let connectionsField = FieldDefinition(
        "connections", .array(items: .string),
        "Names of the external database connections the code may query through the kernel.")
    static let requirementsField = FieldDefinition(
        "requirements", .array(items: .string), "Packages to install before running (pip / npm specifiers).")

    static let llmPromptAgent = ComponentSpec(
        type: .llmPromptAgent,
        description: "Calls an OpenAI-compatible chat model with a system prompt and a templated user prompt.",
        fields: [
            FieldDefinition("model", .string, required: true, minLength: 1, "Model name, e.g. gpt-4o-mini."),
            FieldDefinition("systemPrompt", .string, "System prompt."),
            FieldDefinition("userPromptTemplate", .string,
                            "User prompt; `${inputs.x}` / `{{x}}` placeholders are filled from the step inputs."),
            FieldDefinition("temperature", .number, default: .double(defaultTemperature), minimum: 0,
                            maximum: maxTemperature, "Sampling temperature."),
            FieldDefinition("maxTokens", .integer, default: .int(defaultMaxTokens), exclusiveMinimum: 0,
                            "Maximum tokens to generate."),
            FieldDefinition("topP", .number, minimum: 0, maximum: 1, title: "Top P", "Nucleus sampling mass."),
            FieldDefinition("topK", .integer, exclusiveMinimum: 0, title: "Top K", "Top-k sampling."),
            FieldDefinition("endpoint", .string, format: .url,
                            "Base URL of an OpenAI-compatible server (e.g. http://127.0.0.1:11434/v1)."),
            FieldDefinition("apiKeySecret", .string, minLength: 1, title: "API Key Secret",
                            "Name of the sealed secret holding the API key."),
            FieldDefinition("connection", .string, minLength: 1,
                            "A connection whose scanned schema (tables, columns, types, keys) is given to the model."),
            FieldDefinition("schemaTables", .array(items: .string),
                            "Tables (table or schema.table) described first when the schema exceeds the budget."),
            FieldDefinition("schemaTokenBudget", .integer, minimum: Double(SchemaDigest.minTokenBudget),
                            maximum: Double(SchemaDigest.maxTokenBudget), title: "Schema Token Budget",
                            "Most tokens the schema description may take (default 2000)."),
        ])

    static let notebookCellFields: [FieldDefinition] = [
        FieldDefinition("id", .string, required: true, minLength: 1, "Cell id."),
        FieldDefinition("type", .string, required: true, enum: ["code", "markdown"], "Cell type."),
        FieldDefinition("content", .string, required: true, "Cell source."),
        FieldDefinition("tags", .array(items: .string), "Cell tags (`parameters` marks the parameters cell)."),
    ]

    static let jupyterNotebook = ComponentSpec(
        type: .jupyterNotebook,
        description: "Executes a notebook with a papermill-style parameters cell; the executed .ipynb is kept as an artifact.",
        fields: [
            FieldDefinition("notebookCells", .array(items: .object(fields: notebookCellFields)), "The notebook's cells."),
            FieldDefinition("notebookPathRef", .string, minLength: 1, format: .relativePath, title: "Notebook Path Ref",
                            "Path of an .ipynb file relative to the kernel's notebook root (MCPK_NOTEBOOK_DIR); "
                                + "alternative to notebookCells."),
            FieldDefinition("parameters", .object(fields: nil), default: .object(JSONObject()),
                            "Default parameters injected into the parameters cell."),
            FieldDefinition("kernel", .string, default: .string(defaultNotebookKernel), minLength: 1, "Jupyter kernel name."),
            connectionsField,
        ],
        rules: [.requireAny(["notebookCells", "notebookPathRef"])])

    static func script(_ type: ComponentType, language: String, convention: String) -> ComponentSpec {
        ComponentSpec(
            type: type,
            description: "A sandboxed \(language) script that \(convention).",
            fields: [
                FieldDefinition("codeContent", .string, required: true, minLength: 1, maxLength: maxCodeBytes,
                                "\(language) source code."),
                requirementsField,
                FieldDefinition("network", .boolean, default: .bool(false), "Allow network access from the sandbox."),
                FieldDefinition("timeoutSeconds", .number, maximum: maxStepTimeoutSeconds, exclusiveMinimum: 0,
                                "Wall-clock limit for one run."),
                FieldDefinition("memoryMb", .integer, maximum: maxMemoryMb, exclusiveMinimum: 0, title: "Memory MB",
                                "Memory limit in MiB."),
                connectionsField,
            ])
    }

    static let streamlitApp = ComponentSpec(
        type: .streamlitApp,
        description: "A Streamlit app started as a service step that reports its URL once healthy.",
        fields: [
            FieldDefinition("gitRepoUrl", .string, format: .gitURL, title: "Git Repo URL",
                            "Repository to clone (https://, http:// or git://); cached by URL and ref."),
            FieldDefinition("gitRef", .string, format: .gitRef, title: "Git Ref",
                            "Branch or tag of gitRepoUrl to check out (default: the remote's default branch)."),
            FieldDefinition("codeContent", .string, minLength: 1, maxLength: maxCodeBytes,
                            "App source (alternative to gitRepoUrl)."),
            FieldDefinition("mainScriptPath", .string, default: .string(defaultStreamlitMainScript), minLength: 1,
                            format: .relativePath, "Entry script inside the repository (relative, no '..')."),
            requirementsField,
            FieldDefinition("port", .integer, minimum: 1, maximum: 65535, "Port to listen on (a free one if unset)."),
            FieldDefinition("ttlSeconds", .integer, maximum: maxStepTimeoutSeconds, exclusiveMinimum: 0, title: "TTL Seconds",
                            "How long the app stays up once healthy unless its run is cancelled first (default \(defaultServiceTTLSeconds))."),
        ],
        rules: [.requireAny(["gitRepoUrl", "codeContent"])])

    static let mcp = ComponentSpec(
        type: .mcp,
        description: "Starts an MCP server from its configuration and calls one tool.",
        fields: [
            FieldDefinition("mcpConfiguration", .string, required: true, format: .mcpConfiguration,
                            title: "MCP Configuration",
                            "JSON or YAML with `command`, `args` and `env` of the server."),
            FieldDefinition("tool", .string, required: true, minLength: 1, "Name of the tool to call."),
            FieldDefinition("arguments", .object(fields: nil), default: .object(JSONObject()),
                            "Default tool arguments (step inputs are merged over them)."),
        ])

    static let data = ComponentSpec(
        type: .data,
        description: "Runs SQL through an external database connection.",
        fields: [
            FieldDefinition("connection", .string, required: true, minLength: 1, "Connection id or name."),
            FieldDefinition("query", .string, required: true, minLength: 1, "SQL statement."),
            FieldDefinition("params", .array(items: .any), default: .array([]), "Positional query parameters."),
            FieldDefinition("maxRows", .integer, default: .int(defaultDataMaxRows), maximum: maxDataMaxRows,
                            exclusiveMinimum: 0, "Maximum rows returned."),
            FieldDefinition("resultFormat", .string, enum: dataResultFormats,
                            "rows (absent): the rows inline in the result; arrow: the rows streamed into an Arrow IPC stream artifact, the result referencing it."),
            FieldDefinition("resultArtifact", .string, minLength: 1, maxLength: maxDataArtifactNameLength,
                            "Artifact file name for resultFormat arrow (letters, digits, '.', '-', '_'); default <step id>.arrows."),
        ])

    /// Operations of a Utility step.
    public static let utilityOperations = ["merge", "pick", "template", "plugin"]

    static let utility = ComponentSpec(
        type: .utility,
        description: "An in-kernel operation on the step inputs: merge objects, pick keys, render a template, or call a plugin operation.",
        fields: [
            FieldDefinition("operation", .string, required: true, enum: utilityOperations, "The operation."),
            FieldDefinition("args", .any, default: .object(JSONObject()),
                            "Plugin operation arguments with `${inputs.x}` references: an array (positional) or an object (its values in order); empty: the inputs."),
            FieldDefinition("keys", .any,
                            "Names or dotted paths to keep, as an array, or an object result name → path (pick)."),
            FieldDefinition("template", .string, "Text with `${inputs.x}` placeholders (template)."),
            FieldDefinition("plugin", .string, minLength: 1, "Plugin name (plugin)."),
            FieldDefinition("pluginOperation", .string, minLength: 1, "Exported plugin operation name (plugin)."),
        ],
        rules: [
            .requiredWhen(field: "operation", equals: "pick", required: ["keys"]),
            .requiredWhen(field: "operation", equals: "template", required: ["template"]),
            .requiredWhen(field: "operation", equals: "plugin", required: ["plugin", "pluginOperation"]),
        ])

    /// Formats of an Output step.
    public static let outputFormats = ["json", "csv", "text"]

    static let output = ComponentSpec(
        type: .output,
        description: "Writes its inputs as a named artifact of the run.",
        fields: [
            FieldDefinition("format", .string, default: .string("json"), enum: outputFormats, "Artifact format."),
            FieldDefinition("name", .string, default: .string("output"), minLength: 1, maxLength: maxNameLength,
                            "Artifact name."),
        ])
}
