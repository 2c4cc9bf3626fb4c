import CHTTPParser

/// Incremental HTTP/1.1 request parser over Debian's libhttp-parser, with the
/// shim's limits applied (header bytes and count, body bytes). Handles
/// pipelined requests in one buffer and chunked bodies (de-chunked).
///
/// Not thread-safe; one per connection.
public final class HTTPRequestParser {
    /// Explicit state of the message being parsed.
    public enum State: Equatable {
        /// Between messages.
        case idle
        /// The first byte arrived; headers are not complete.
        case headers
        /// Headers complete, reading the body.
        case body
        /// A protocol or limit error; the parser accepts nothing more.
        case failed
    }

    /// What stopped parsing: the status to answer with and why.
    public struct Failure: Error, Equatable, Sendable {
        public let status: Int
        public let message: String
    }

    public let limits: HTTPLimits
    public private(set) var state: State = .idle
    public private(set) var failure: Failure?
    /// Set in `feed` when a request asked for `Expect: 100-continue` and its body is still to come.
    public var onExpectContinue: (() -> Void)?

    private let parser: UnsafeMutablePointer<http_parser>
    private var settings = http_parser_settings()
    private var completed: [HTTPRequest] = []
    // The message in progress.
    private var url: [UInt8] = []
    private var headers: [(String, String)] = []
    private var field: [UInt8] = []
    private var value: [UInt8] = []
    private var lastWasValue = false
    private var headerBytes = 0
    private var body: [UInt8] = []
    private var keepAlive = true
    private var method = "GET"

    public init(limits: HTTPLimits) {
        self.limits = limits
        parser = UnsafeMutablePointer<http_parser>.allocate(capacity: 1)
        http_parser_init(parser, HTTP_REQUEST)
        settings.on_message_begin = { p in HTTPRequestParser.owner(p).messageBegin() }
        settings.on_url = { p, at, n in HTTPRequestParser.owner(p).url(at, n) }
        settings.on_header_field = { p, at, n in HTTPRequestParser.owner(p).headerField(at, n) }
        settings.on_header_value = { p, at, n in HTTPRequestParser.owner(p).headerValue(at, n) }
        settings.on_headers_complete = { p in HTTPRequestParser.owner(p).headersComplete() }
        settings.on_body = { p, at, n in HTTPRequestParser.owner(p).bodyData(at, n) }
        settings.on_message_complete = { p in HTTPRequestParser.owner(p).messageComplete() }
    }

    deinit { parser.deallocate() }

    private static func owner(_ p: UnsafeMutablePointer<http_parser>?) -> HTTPRequestParser {
        Unmanaged<HTTPRequestParser>.fromOpaque(p!.pointee.data).takeUnretainedValue()
    }

    /// Parses `bytes`; returns the requests completed by them (possibly several).
    /// After a failure, `failure` is set and further input is ignored.
    public func feed(_ bytes: UnsafeRawBufferPointer) -> [HTTPRequest] {
        guard state != .failed, bytes.count > 0, let base = bytes.baseAddress else { return [] }
        parser.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        let n = http_parser_execute(parser, &settings, base.assumingMemoryBound(to: CChar.self), bytes.count)
        let out = completed
        completed = []
        if state == .failed { return out }
        let errno = http_errno(rawValue: parser.pointee.http_errno)
        if errno != HPE_OK {
            let name = String(cString: http_errno_name(errno))
            let status = errno == HPE_HEADER_OVERFLOW ? 431 : 400
            fail(status, "malformed request (\(name): \(String(cString: http_errno_description(errno))))")
        } else if parser.pointee.upgrade == 1 || n != bytes.count {
            fail(400, "protocol upgrades are not supported")
        }
        return out
    }

    public func feed(_ bytes: [UInt8]) -> [HTTPRequest] {
        bytes.withUnsafeBytes { feed($0) }
    }

    /// The peer closed its side: a message cut short is an error.
    public func finish() {
        guard state == .headers || state == .body else { return }
        _ = http_parser_execute(parser, &settings, nil, 0)
        if state != .idle, state != .failed { fail(400, "connection closed in the middle of a request") }
    }

    private func fail(_ status: Int, _ message: String) {
        state = .failed
        failure = Failure(status: status, message: message)
    }

    // MARK: callbacks (return non-zero to stop the parser)

    private func messageBegin() -> Int32 {
        state = .headers
        url = []; headers = []; field = []; value = []; lastWasValue = false
        headerBytes = 0; body = []
        return 0
    }

    private func addHeaderBytes(_ n: Int) -> Bool {
        headerBytes += n
        if headerBytes > limits.maxHeaderBytes {
            fail(431, "request headers exceed \(limits.maxHeaderBytes) bytes")
            return false
        }
        return true
    }

    private func url(_ at: UnsafePointer<CChar>?, _ n: Int) -> Int32 {
        guard addHeaderBytes(n), let at else { return state == .failed ? 1 : 0 }
        url.append(contentsOf: UnsafeRawBufferPointer(start: at, count: n))
        return 0
    }

    private func flushHeader() {
        if !field.isEmpty {
            headers.append((String(decoding: field, as: UTF8.self).lowercased(),
                            String(decoding: value, as: UTF8.self)))
        }
        field = []; value = []
    }

    private func headerField(_ at: UnsafePointer<CChar>?, _ n: Int) -> Int32 {
        guard addHeaderBytes(n), let at else { return state == .failed ? 1 : 0 }
        if lastWasValue || field.isEmpty && value.isEmpty {
            flushHeader()
            if headers.count >= limits.maxHeaderCount {
                fail(431, "more than \(limits.maxHeaderCount) request headers")
                return 1
            }
        }
        lastWasValue = false
        field.append(contentsOf: UnsafeRawBufferPointer(start: at, count: n))
        return 0
    }

    private func headerValue(_ at: UnsafePointer<CChar>?, _ n: Int) -> Int32 {
        guard addHeaderBytes(n), let at else { return state == .failed ? 1 : 0 }
        lastWasValue = true
        value.append(contentsOf: UnsafeRawBufferPointer(start: at, count: n))
        return 0
    }

    private func headersComplete() -> Int32 {
        flushHeader()
        state = .body
        method = String(cString: http_method_str(http_method(rawValue: parser.pointee.method)))
        keepAlive = http_should_keep_alive(parser) != 0
        let declared = parser.pointee.content_length
        let hasLength = headers.contains { $0.0 == "content-length" }
        if hasLength && declared > UInt64(limits.maxBodyBytes) {
            fail(413, "request body exceeds \(limits.maxBodyBytes) bytes")
            return -1
        }
        let expectsContinue = headers.contains { $0.0 == "expect" && $0.1.lowercased() == "100-continue" }
        let bodyFollows = headers.contains { $0.0 == "transfer-encoding" } || (hasLength && declared > 0)
        if expectsContinue && bodyFollows { onExpectContinue?() }
        return 0
    }

    private func bodyData(_ at: UnsafePointer<CChar>?, _ n: Int) -> Int32 {
        guard let at else { return 0 }
        if body.count + n > limits.maxBodyBytes {
            fail(413, "request body exceeds \(limits.maxBodyBytes) bytes")
            return 1
        }
        body.append(contentsOf: UnsafeRawBufferPointer(start: at, count: n))
        return 0
    }

    private func messageComplete() -> Int32 {
        let target = String(decoding: url, as: UTF8.self)
        var request = HTTPRequest(method: method, target: target, headers: headers, body: body,
                                  keepAlive: keepAlive, versionMinor: Int(parser.pointee.http_minor))
        request.keepAlive = http_should_keep_alive(parser) != 0
        completed.append(request)
        url = []; headers = []; body = []
        state = .idle
        return 0
    }
}
