// Fuzz targets of the HTTP shim's request parsing (issue 16), compiled into `mcpk-fuzz`
// (scripts/fuzz.sh, with HTTPRequestParser/HTTPRequest/HTTPLimits and libhttp-parser) and
// into KernelServerTests (`HTTPFuzzReplayTests` replays fuzz/corpus/http/*).
#if canImport(KernelTransport)
import KernelTransport
#endif

enum HTTPFuzzTargets {
    static let all: [(name: String, run: @Sendable ([UInt8]) -> Void)] = [
        ("http", { bytes in
            // The whole input, then the same input split at every 7th byte (pipelining, partial reads).
            let limits = HTTPLimits(settings: [:])
            let whole = HTTPRequestParser(limits: limits)
            var requests = whole.feed(bytes)
            whole.finish()
            let split = HTTPRequestParser(limits: limits)
            var again: [HTTPRequest] = []
            var i = 0
            while i < bytes.count {
                again += split.feed(Array(bytes[i..<min(bytes.count, i + 7)]))
                i += 7
            }
            split.finish()
            for r in requests + again {
                _ = r.header("last-event-id").map { Int64($0) }
                _ = r.queryValue("after").map { Int64($0) }
                _ = r.rawPath.split(separator: "/")
            }
            requests.removeAll()
        }),
    ]
}
