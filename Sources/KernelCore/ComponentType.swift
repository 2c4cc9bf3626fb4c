/// A component type's name (contract: DESIGN.md §8 values), e.g. "Python Script".
///
/// Open: an executor plugin declares the types it serves (`mcpk_component_type`,
/// ABI 1.2.0), so any name may name a type; whether one is creatable and runnable is
/// decided by the loaded plugins (`ComponentTypes`), not by this value. The nine
/// bundled types have named constants for the kernel code that treats them specially.
public struct ComponentType: RawRepresentable, Hashable, Sendable, Comparable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ name: String) { self.rawValue = name }

    public var description: String { rawValue }
    public static func < (a: ComponentType, b: ComponentType) -> Bool { a.rawValue < b.rawValue }

    public static let llmPromptAgent = ComponentType("LLM Prompt Agent")
    public static let jupyterNotebook = ComponentType("Jupyter Notebook")
    public static let pythonScript = ComponentType("Python Script")
    public static let typeScriptScript = ComponentType("TypeScript Script")
    public static let streamlitApp = ComponentType("Streamlit App")
    public static let mcp = ComponentType("MCP")
    public static let data = ComponentType("Data")
    public static let utility = ComponentType("Utility")
    public static let output = ComponentType("Output")

    /// The types the bundled executor plugins serve, in catalogue order.
    public static let bundled: [ComponentType] = [
        .llmPromptAgent, .jupyterNotebook, .pythonScript, .typeScriptScript, .streamlitApp, .mcp, .data, .utility, .output,
    ]
}
