/// `Utility` config: an in-kernel operation.
public struct UtilityConfig: Sendable, Equatable {
    public enum Operation: Sendable, Equatable {
        case merge
        case pick(keys: [String])
        case template(String)
        case plugin(name: String, operation: String)
    }

    public let operation: Operation
    public let args: JSONObject
    public let normalized: JSON

    init(_ r: ConfigReader) {
        switch r.string("operation") {
        case "pick"?: operation = .pick(keys: r.strings("keys"))
        case "template"?: operation = .template(r.string("template") ?? "")
        case "plugin"?: operation = .plugin(name: r.string("plugin") ?? "", operation: r.string("pluginOperation") ?? "")
        default: operation = .merge
        }
        args = r.objectValue("args")
        normalized = r.json
    }
}
