/// `Output` config: a named artifact.
public struct OutputConfig: Sendable, Equatable {
    public enum Format: String, Sendable { case json, csv, text }
    public let format: Format
    public let name: String
    public let normalized: JSON

    init(_ r: ConfigReader) {
        format = r.string("format").flatMap(Format.init(rawValue:)) ?? .json
        name = r.string("name") ?? "output"
        normalized = r.json
    }
}
