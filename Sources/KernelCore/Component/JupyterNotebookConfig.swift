/// `Jupyter Notebook` config.
public struct JupyterNotebookConfig: Sendable, Equatable {
    public struct Cell: Sendable, Equatable {
        public enum Kind: String, Sendable { case code, markdown }
        public let id: String
        public let kind: Kind
        public let content: String
        public let tags: [String]
    }

    public let cells: [Cell]?
    public let notebookPathRef: String?
    public let parameters: JSONObject
    public let kernel: String
    public let connections: [String]
    public let normalized: JSON

    init(_ r: ConfigReader) {
        cells = r.object["notebookCells"]?.arrayValue?.compactMap { c -> Cell? in
            let cr = ConfigReader(c.objectValue ?? JSONObject())
            guard let id = cr.string("id"), let kind = cr.string("type").flatMap(Cell.Kind.init(rawValue:)) else { return nil }
            return Cell(id: id, kind: kind, content: cr.string("content") ?? "", tags: cr.strings("tags"))
        }
        notebookPathRef = r.string("notebookPathRef")
        parameters = r.objectValue("parameters")
        kernel = r.string("kernel") ?? ComponentSpec.defaultNotebookKernel
        connections = r.strings("connections")
        normalized = r.json
    }
}
