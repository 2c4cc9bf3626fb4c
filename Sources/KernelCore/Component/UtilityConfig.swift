/// `Utility` config: an operation on the step inputs (served by Plugins/utility).
public struct UtilityConfig: Sendable, Equatable {
    /// One value `pick` keeps: the result key and the dotted path into the inputs.
    public struct PickPath: Sendable, Equatable {
        public let name: String
        public let path: String

        public init(name: String, path: String) {
            self.name = name
            self.path = path
        }
    }

    public enum Operation: Sendable, Equatable {
        case merge
        /// `keys` as an array of paths (the result key is the last segment) or an object name → path.
        case pick([PickPath])
        case template(String)
        case plugin(name: String, operation: String)
    }

    public let operation: Operation
    /// Plugin operation arguments: an array (positional), an object (its values in order) or `{}`.
    public let args: JSON
    public let normalized: JSON

    init(_ r: ConfigReader) {
        switch r.string("operation") {
        case "pick"?: operation = .pick(UtilityConfig.pickPaths(r.json["keys"]))
        case "template"?: operation = .template(r.string("template") ?? "")
        case "plugin"?: operation = .plugin(name: r.string("plugin") ?? "", operation: r.string("pluginOperation") ?? "")
        default: operation = .merge
        }
        args = r.json["args"] ?? .object(JSONObject())
        normalized = r.json
    }

    static func pickPaths(_ keys: JSON?) -> [PickPath] {
        if let a = keys?.arrayValue {
            return a.compactMap(\.stringValue).map { PickPath(name: $0.split(separator: ".").last.map(String.init) ?? $0, path: $0) }
        }
        return (keys?.objectValue ?? JSONObject()).compactMap { k, v in v.stringValue.map { PickPath(name: k, path: $0) } }
    }
}
