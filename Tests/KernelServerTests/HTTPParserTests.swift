import Testing
@testable import KernelTransport

@Suite struct HTTPParserTests {
    func parse(_ text: String, limits: HTTPLimits = HTTPLimits()) -> ([HTTPRequest], HTTPRequestParser) {
        let p = HTTPRequestParser(limits: limits)
        return (p.feed(Array(text.utf8)), p)
    }

    @Test func simpleRequestWithQueryAndHeaders() throws {
        let (rs, p) = parse("GET /api/v1/x%20y?a=1&b=two+words&c=%2F HTTP/1.1\r\nHost: h\r\nX-Request-Id: abc\r\n\r\n")
        #expect(p.failure == nil)
        let r = try #require(rs.first)
        #expect(r.method == "GET")
        #expect(r.path == "/api/v1/x y")
        #expect(r.rawPath == "/api/v1/x%20y")
        #expect(r.query.map { "\($0.0)=\($0.1)" } == ["a=1", "b=two words", "c=/"])
        #expect(r.header("x-request-id") == "abc")
        #expect(r.header("HOST") == "h")
        #expect(r.keepAlive)
    }

    @Test func pipelinedRequestsInOneBufferComeOutInOrder() {
        let text = "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nPOST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabcGET /3 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
        let (rs, p) = parse(text)
        #expect(p.failure == nil)
        #expect(rs.map(\.target) == ["/1", "/2", "/3"])
        #expect(rs[1].body == Array("abc".utf8))
        #expect(rs.map(\.keepAlive) == [true, true, false])
    }

    @Test func requestSplitAcrossReadsAtEveryByte() {
        let text = "POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n"
        let p = HTTPRequestParser(limits: HTTPLimits())
        var out: [HTTPRequest] = []
        for b in text.utf8 { out += p.feed([b]) }
        #expect(p.failure == nil)
        #expect(out.count == 1)
        #expect(out.first?.body == Array("Wikipedia".utf8))
    }

    @Test func http10ClosesByDefault() {
        let (rs, _) = parse("GET / HTTP/1.0\r\n\r\n")
        #expect(rs.first?.keepAlive == false)
    }

    @Test func oversizeBodyByContentLengthIs413BeforeTheBody() {
        var limits = HTTPLimits()
        limits.maxBodyBytes = 10
        let (rs, p) = parse("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", limits: limits)
        #expect(rs.isEmpty)
        #expect(p.failure?.status == 413)
    }

    @Test func oversizeChunkedBodyIs413() {
        var limits = HTTPLimits()
        limits.maxBodyBytes = 8
        let (_, p) = parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n", limits: limits)
        #expect(p.failure?.status == 413)
    }

    @Test func tooManyOrTooLargeHeadersAre431() {
        var limits = HTTPLimits()
        limits.maxHeaderCount = 3
        let many = "GET / HTTP/1.1\r\n" + (0..<4).map { "X-\($0): v\r\n" }.joined() + "\r\n"
        #expect(parse(many, limits: limits).1.failure?.status == 431)
        var small = HTTPLimits()
        small.maxHeaderBytes = 64
        let big = "GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 100) + "\r\n\r\n"
        #expect(parse(big, limits: small).1.failure?.status == 431)
        let ok = "GET / HTTP/1.1\r\n" + (0..<3).map { "X-\($0): v\r\n" }.joined() + "\r\n"
        #expect(parse(ok, limits: limits).0.count == 1)
    }

    @Test(arguments: ["GARBAGE\r\n\r\n", "GET / HTTP/1.1\r\nHost h\r\n\r\n", "GET / HTTP/9.9x\r\n\r\n",
                      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n"])
    func malformedIs400(_ text: String) {
        let (_, p) = parse(text)
        #expect(p.failure?.status == 400)
        #expect(p.state == .failed)
        // Nothing more is accepted after a failure.
        #expect(p.feed(Array("GET / HTTP/1.1\r\n\r\n".utf8)).isEmpty)
    }

    @Test func stateTracksHeadersAndBody() {
        let p = HTTPRequestParser(limits: HTTPLimits())
        _ = p.feed(Array("GET / HT".utf8))
        #expect(p.state == .headers)
        _ = p.feed(Array("TP/1.1\r\nContent-Length: 2\r\n\r\na".utf8))
        #expect(p.state == .body)
        #expect(p.feed(Array("b".utf8)).count == 1)
        #expect(p.state == .idle)
    }

    @Test func truncatedRequestAtEOFFails() {
        let p = HTTPRequestParser(limits: HTTPLimits())
        _ = p.feed(Array("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab".utf8))
        p.finish()
        #expect(p.failure?.status == 400)
    }

    @Test func expectContinueIsSignalled() {
        let p = HTTPRequestParser(limits: HTTPLimits())
        var asked = 0
        p.onExpectContinue = { asked += 1 }
        _ = p.feed(Array("POST / HTTP/1.1\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n".utf8))
        #expect(asked == 1)
    }

    @Test func responseSerialisationIsByteExact() {
        let r = HTTPResponse.json(201, ["id": "c1"], headers: [("Location", "/api/v1/components/c1")])
        #expect(String(decoding: r.serialized(keepAlive: true), as: UTF8.self) ==
            "HTTP/1.1 201 Created\r\nContent-Type: application/json; charset=utf-8\r\nLocation: /api/v1/components/c1\r\nContent-Length: 12\r\nConnection: keep-alive\r\n\r\n{\"id\":\"c1\"}\n")
        let e = HTTPResponse.error(422, kind: "invalid_params", message: "bad", errors: [.init("config.model", "required")])
        #expect(String(decoding: e.body, as: UTF8.self) ==
            #"{"error":{"kind":"invalid_params","message":"bad","errors":[{"path":"config.model","message":"required"}]}}"# + "\n")
        var head = HTTPResponse(status: 304, headers: [("ETag", "\"x\"")])
        head.body = [1, 2]
        #expect(String(decoding: head.serialized(keepAlive: false), as: UTF8.self) ==
            "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\nConnection: close\r\n\r\n")
    }
}
