/// The component type discriminator (contract: DESIGN.md §8 values).
public enum ComponentType: String, Sendable, CaseIterable {
    case llmPromptAgent = "LLM Prompt Agent"
    case jupyterNotebook = "Jupyter Notebook"
    case pythonScript = "Python Script"
    case typeScriptScript = "TypeScript Script"
    case streamlitApp = "Streamlit App"
    case mcp = "MCP"
    case data = "Data"
    case utility = "Utility"
    case output = "Output"
}
