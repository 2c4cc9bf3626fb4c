/// `LLM Prompt Agent` config.
public struct LLMPromptAgentConfig: Sendable, Equatable {
    public let model: String
    public let systemPrompt: String?
    public let userPromptTemplate: String?
    public let temperature: Double
    public let maxTokens: Int
    public let topP: Double?
    public let topK: Int?
    public let endpoint: String?
    public let apiKeySecret: String?
    public let normalized: JSON

    init(_ r: ConfigReader) {
        model = r.string("model") ?? ""
        systemPrompt = r.string("systemPrompt")
        userPromptTemplate = r.string("userPromptTemplate")
        temperature = r.double("temperature") ?? ComponentSpec.defaultTemperature
        maxTokens = r.int("maxTokens") ?? Int(ComponentSpec.defaultMaxTokens)
        topP = r.double("topP")
        topK = r.int("topK")
        endpoint = r.string("endpoint")
        apiKeySecret = r.string("apiKeySecret")
        normalized = r.json
    }
}
