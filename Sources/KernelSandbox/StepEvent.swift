import KernelCore

/// What a running step reports, in arrival order.
public enum StepEvent: Sendable, Equatable {
    /// A line of stdout/stderr, or a `log` message on the channel (stream "step").
    case log(stream: String, line: String)
    case progress(fraction: Double?, message: String?)
    case resultPreview(JSON)
    case result(JSON)
    case artifact(StepArtifact)
    /// Output past the cap was dropped from `stream` (sent once per stream).
    case truncated(stream: String)
    /// The step reported an error (e.g. an exception with its traceback).
    case error(message: String)

    /// The run-event form (`type` + payload) the engine persists.
    public var json: JSON {
        switch self {
        case .log(let stream, let line): return ["type": "log", "stream": .string(stream), "line": .string(line)]
        case .progress(let f, let m): return ["type": "progress", "fraction": f.map { .double($0) } ?? .null, "message": JSON(m)]
        case .resultPreview(let v): return ["type": "result_preview", "value": v]
        case .result(let v): return ["type": "result", "value": v]
        case .artifact(let a): return ["type": "artifact", "name": .string(a.name), "path": .string(a.path), "mime": .string(a.mime)]
        case .truncated(let s): return ["type": "truncated", "stream": .string(s)]
        case .error(let m): return ["type": "error", "message": .string(m)]
        }
    }
}

/// A file the step produced and declared (host path, inside the work dir).
public struct StepArtifact: Sendable, Equatable {
    public var name: String
    public var path: String
    public var mime: String
    public init(name: String, path: String, mime: String) {
        self.name = name
        self.path = path
        self.mime = mime
    }
}

/// A `query` request from a step, for the engine's handler.
public struct StepQuery: Sendable {
    public var connection: String
    public var sql: String
    public var params: JSON
    public var maxRows: Int?
}
