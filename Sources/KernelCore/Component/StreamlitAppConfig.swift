/// `Streamlit App` config.
public struct StreamlitAppConfig: Sendable, Equatable {
    public let gitRepoUrl: String?
    public let gitRef: String?
    public let codeContent: String?
    public let mainScriptPath: String
    public let requirements: [String]
    public let port: Int?
    public let ttlSeconds: Int?
    public let normalized: JSON

    init(_ r: ConfigReader) {
        gitRepoUrl = r.string("gitRepoUrl")
        gitRef = r.string("gitRef")
        codeContent = r.string("codeContent")
        mainScriptPath = r.string("mainScriptPath") ?? ComponentSpec.defaultStreamlitMainScript
        requirements = r.strings("requirements")
        port = r.int("port")
        ttlSeconds = r.int("ttlSeconds")
        normalized = r.json
    }
}
