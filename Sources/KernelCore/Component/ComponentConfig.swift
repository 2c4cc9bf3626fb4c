/// A validated component config: one discriminated union over the nine
/// component types. Built only through `ComponentConfig.parse`, which runs
/// the declarative validation (`ComponentSpec`) first, so the typed values
/// always agree with the definitions. `json` is the normalised config that is
/// stored and checksummed.
public enum ComponentConfig: Sendable, Equatable {
    case llmPromptAgent(LLMPromptAgentConfig)
    case jupyterNotebook(JupyterNotebookConfig)
    case pythonScript(ScriptConfig)
    case typeScriptScript(ScriptConfig)
    case streamlitApp(StreamlitAppConfig)
    case mcp(MCPConfig)
    case data(DataConfig)
    case utility(UtilityConfig)
    case output(OutputConfig)

    /// Validates (all errors at once, paths rooted at `path`), applies defaults
    /// and decodes. Throws `invalid_params`.
    public static func parse(_ config: JSON, path: String = "config") throws -> ComponentConfig {
        let (type, normalized) = try ComponentSpec.normalize(config, path: path)
        let r = ConfigReader(normalized.objectValue ?? JSONObject())
        switch type {
        case .llmPromptAgent: return .llmPromptAgent(LLMPromptAgentConfig(r))
        case .jupyterNotebook: return .jupyterNotebook(JupyterNotebookConfig(r))
        case .pythonScript: return .pythonScript(ScriptConfig(r))
        case .typeScriptScript: return .typeScriptScript(ScriptConfig(r))
        case .streamlitApp: return .streamlitApp(StreamlitAppConfig(r))
        case .mcp: return .mcp(MCPConfig(r))
        case .data: return .data(DataConfig(r))
        case .utility: return .utility(UtilityConfig(r))
        case .output: return .output(OutputConfig(r))
        default: throw KernelError.invalidParams("invalid component config", errors: [
            FieldError(FieldDefinition.join(path, ComponentSpec.typeField), ComponentSpec.unknownTypeMessage(type.rawValue))])
        }
    }

    public var type: ComponentType {
        switch self {
        case .llmPromptAgent: return .llmPromptAgent
        case .jupyterNotebook: return .jupyterNotebook
        case .pythonScript: return .pythonScript
        case .typeScriptScript: return .typeScriptScript
        case .streamlitApp: return .streamlitApp
        case .mcp: return .mcp
        case .data: return .data
        case .utility: return .utility
        case .output: return .output
        }
    }

    /// The normalised config JSON (`type` first, fields in definition order).
    public var json: JSON {
        switch self {
        case .llmPromptAgent(let c): return c.normalized
        case .jupyterNotebook(let c): return c.normalized
        case .pythonScript(let c), .typeScriptScript(let c): return c.normalized
        case .streamlitApp(let c): return c.normalized
        case .mcp(let c): return c.normalized
        case .data(let c): return c.normalized
        case .utility(let c): return c.normalized
        case .output(let c): return c.normalized
        }
    }

    /// sha256 hex of the canonical normalised config.
    public var checksum: String { json.contentChecksum }
}

/// Read access to a normalised config object. Values were validated, so the
/// accessors only fall back when a field is absent.
struct ConfigReader {
    let object: JSONObject
    init(_ object: JSONObject) { self.object = object }
    var json: JSON { .object(object) }
    func string(_ k: String) -> String? { object[k]?.stringValue }
    func int(_ k: String) -> Int? { object[k]?.intValue.flatMap { Int(exactly: $0) } }
    func double(_ k: String) -> Double? { object[k]?.doubleValue }
    func bool(_ k: String) -> Bool? { object[k]?.boolValue }
    func strings(_ k: String) -> [String] { object[k]?.arrayValue?.compactMap(\.stringValue) ?? [] }
    func objectValue(_ k: String) -> JSONObject { object[k]?.objectValue ?? JSONObject() }
}
