import KernelCore

/// One HTTP response to serialise. `Content-Length`, `Date`-free framing and
/// `Connection` are added by `serialized(keepAlive:)`.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// True for responses to HEAD: headers describe the body, which is not sent.
    public var omitBody = false

    public static let jsonContentType = "application/json; charset=utf-8"

    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public static func json(_ status: Int, _ value: JSON, headers: [(String, String)] = []) -> HTTPResponse {
        var body = value.serializedBytes()
        body.append(0x0A)
        return HTTPResponse(status: status, headers: [("Content-Type", jsonContentType)] + headers, body: body)
    }

    /// `{error: {kind, message, errors?}}`.
    public static func error(_ status: Int, kind: String, message: String, errors: [FieldError] = [],
                             headers: [(String, String)] = []) -> HTTPResponse {
        var e = JSONObject()
        e["kind"] = .string(kind)
        e["message"] = .string(message)
        if !errors.isEmpty { e["errors"] = .array(errors.map(\.json)) }
        return json(status, ["error": .object(e)], headers: headers)
    }

    public func header(_ name: String) -> String? {
        let n = name.lowercased()
        return headers.first { $0.0.lowercased() == n }?.1
    }

    /// The head alone, announcing a body of `contentLength` bytes sent separately (streamed).
    public func serializedHead(contentLength: Int64, keepAlive: Bool) -> [UInt8] {
        var head = "HTTP/1.1 \(status) \(HTTPResponse.reason(status))\r\n"
        for (k, v) in headers { head += "\(k): \(v)\r\n" }
        head += "Content-Length: \(contentLength)\r\n"
        head += keepAlive ? "Connection: keep-alive\r\n" : "Connection: close\r\n"
        return Array((head + "\r\n").utf8)
    }

    /// The bytes on the wire.
    public func serialized(keepAlive: Bool) -> [UInt8] {
        var head = "HTTP/1.1 \(status) \(HTTPResponse.reason(status))\r\n"
        for (k, v) in headers { head += "\(k): \(v)\r\n" }
        if status != 204 && status != 304 { head += "Content-Length: \(body.count)\r\n" }
        head += keepAlive ? "Connection: keep-alive\r\n" : "Connection: close\r\n"
        head += "\r\n"
        var out = Array(head.utf8)
        if !omitBody && status != 204 && status != 304 { out.append(contentsOf: body) }
        return out
    }

    public static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 304: return "Not Modified"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 409: return "Conflict"
        case 411: return "Length Required"
        case 413: return "Content Too Large"
        case 415: return "Unsupported Media Type"
        case 422: return "Unprocessable Content"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 503: return "Service Unavailable"
        case 505: return "HTTP Version Not Supported"
        default: return "Status \(status)"
        }
    }
}

/// Lets param building return a ready error response through `Result`.
extension HTTPResponse: Error {}
