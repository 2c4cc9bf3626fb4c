/// `MCP` config: the server to start and the tool to call.
public struct MCPConfig: Sendable, Equatable {
    /// The original `mcpConfiguration` text.
    public let mcpConfiguration: String
    /// Its parsed form.
    public let server: MCPConfiguration
    public let tool: String
    public let arguments: JSONObject
    public let normalized: JSON

    init(_ r: ConfigReader) {
        mcpConfiguration = r.string("mcpConfiguration") ?? ""
        server = MCPConfiguration.parse(mcpConfiguration, path: "config.mcpConfiguration").0
            ?? MCPConfiguration(command: "")
        tool = r.string("tool") ?? ""
        arguments = r.objectValue("arguments")
        normalized = r.json
    }
}
