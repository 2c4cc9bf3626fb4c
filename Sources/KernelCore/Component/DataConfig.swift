/// `Data` config: SQL through a connection.
public struct DataConfig: Sendable, Equatable {
    public let connection: String
    public let query: String
    public let params: [JSON]
    public let maxRows: Int
    public let normalized: JSON

    init(_ r: ConfigReader) {
        connection = r.string("connection") ?? ""
        query = r.string("query") ?? ""
        params = r.object["params"]?.arrayValue ?? []
        maxRows = r.int("maxRows") ?? Int(ComponentSpec.defaultDataMaxRows)
        normalized = r.json
    }
}
