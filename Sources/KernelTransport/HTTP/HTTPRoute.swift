import KernelCore

/// One row of the shim's route table: an HTTP method and path pattern mapped
/// onto a control method, with how its params are built and the success status.
public struct HTTPRoute: Sendable {
    /// What answers the route.
    public enum Action: Sendable, Equatable {
        /// A control method call; the result is the JSON body.
        case control(String)
        /// A control method whose result names a file (or inline content) to download.
        case download(String)
        /// An SSE stream fed by a subscribe/unsubscribe control method pair.
        case stream(subscribe: String, unsubscribe: String)
        case openAPI, metrics, health
        /// `POST /hooks/{id}`: a webhook delivery (authenticated by its signature, not the token).
        case webhook
        /// The MCP endpoint (streamable HTTP; bearer token as for the API).
        case mcp
    }

    /// How the request body contributes to the params.
    public enum Body: Sendable, Equatable {
        /// No body is read.
        case none
        /// The body must be a JSON object; its members are merged into the params
        /// (path parameters win).
        case merge
    }

    public enum Segment: Sendable, Equatable {
        case literal(String)
        /// A path variable and the control param it fills.
        case variable(name: String, param: String)
    }

    public let method: String
    public let pattern: String
    public let segments: [Segment]
    public let action: Action
    public let body: Body
    /// Whether query parameters become params (coerced by the method's params schema).
    public let query: Bool
    public let status: Int
    public let summary: String
    public let tag: String
    /// Where the created/started resource lives: `{result-field}` placeholders.
    public let location: String?
    /// Request headers that fill a param (`Idempotency-Key` → `idempotency_key`); a header wins
    /// over the same param in the body.
    public let headerParams: [(header: String, param: String)]

    /// `pattern` uses `{name}` for variables; `params` renames them (default: same name).
    public init(_ method: String, _ pattern: String, _ action: Action, body: Body = .none, query: Bool = false,
                status: Int = 200, params: [String: String] = [:], location: String? = nil,
                headers: [(header: String, param: String)] = [], tag: String, _ summary: String) {
        self.headerParams = headers
        self.method = method
        self.pattern = pattern
        self.action = action
        self.body = body
        self.query = query
        self.status = status
        self.summary = summary
        self.tag = tag
        self.location = location
        segments = pattern.split(separator: "/", omittingEmptySubsequences: true).map { s in
            if s.hasPrefix("{") && s.hasSuffix("}") {
                let name = String(s.dropFirst().dropLast())
                return .variable(name: name, param: params[name] ?? name)
            }
            return .literal(String(s))
        }
    }

    /// The control method behind the route, if any.
    public var controlMethod: String? {
        switch action {
        case .control(let m), .download(let m): return m
        case .stream(let s, _): return s
        default: return nil
        }
    }

    /// Matches raw path segments; returns the decoded variables by param name.
    public func match(_ rawSegments: [Substring]) -> [String: String]? {
        guard rawSegments.count == segments.count else { return nil }
        var vars: [String: String] = [:]
        for (seg, raw) in zip(segments, rawSegments) {
            switch seg {
            case .literal(let l):
                if raw != l { return nil }
            case .variable(_, let param):
                guard !raw.isEmpty, let decoded = HTTPRequest.percentDecode(String(raw), plusIsSpace: false) else { return nil }
                vars[param] = decoded
            }
        }
        return vars
    }

    /// The pattern with OpenAPI-style variables (same as `pattern`).
    public var openAPIPath: String { pattern }
}
