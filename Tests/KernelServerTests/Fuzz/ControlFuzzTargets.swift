// Fuzz target of the control socket's NDJSON framing (`NDJSONFramer`, issue 16), compiled into
// `mcpk-fuzz` (scripts/fuzz.sh) and into KernelServerTests (`ControlFuzzReplayTests` replays
// fuzz/corpus/ndjson/*).
#if canImport(KernelTransport)
@testable import KernelTransport
import KernelCore
#endif
#if canImport(Glibc)
import Glibc
#endif

enum ControlFuzzTargets {
    /// A small limit so overflowing lines are exercised.
    static let maxMessage = 64

    static let all: [(name: String, run: @Sendable ([UInt8]) -> Void)] = [
        ("ndjson", { bytes in
            func violated(_ what: String) -> Never {
                print("fuzz property violated: \(what)")
                abort()
            }
            // What the framing must produce: the complete non-empty lines, in order.
            var expected: [[UInt8]] = []
            var longest = 0
            var start = 0
            for (i, b) in bytes.enumerated() where b == 0x0A {
                if i > start { expected.append(Array(bytes[start..<i])) }
                longest = max(longest, i - start)
                start = i + 1
            }
            let tail = bytes.count - start
            // The same bytes fed whole, one byte at a time and in 7-byte reads.
            for step in [max(1, bytes.count), 1, 7] {
                var framer = NDJSONFramer(maxMessageBytes: maxMessage)
                var lines: [[UInt8]] = []
                var overflowed = false
                var i = 0
                while i < bytes.count && !overflowed {
                    let end = min(bytes.count, i + step)
                    // The read is a view of the input (no copy per read: byte-at-a-time feeding is most of the work).
                    let outcome = bytes.withUnsafeBytes { all in
                        framer.feed(UnsafeRawBufferPointer(rebasing: all[i..<end])) { lines.append(Array($0)); return true }
                    }
                    overflowed = outcome == .overflow
                    if outcome == .stopped { violated("stopped without being asked to") }
                    if framer.pendingBytes > maxMessage { violated("kept \(framer.pendingBytes) bytes > \(maxMessage)") }
                    i = end
                }
                if lines.count > expected.count || Array(expected.prefix(lines.count)) != lines {
                    violated("lines are not the input's lines in order (read size \(step))")
                }
                // Overflow exactly when an unfinished line outgrew the limit at the end of some read.
                if !overflowed && lines != expected { violated("lines lost without an overflow (read size \(step))") }
                if overflowed && longest <= maxMessage && tail <= maxMessage && step == 1 {
                    violated("overflow with every line within the limit")
                }
                if !overflowed && (step == 1 ? max(longest, tail) > maxMessage : tail > maxMessage) {
                    violated("an over-long line was kept (read size \(step))")
                }
            }
            // Stopping after the first line hands out nothing more.
            var framer = NDJSONFramer(maxMessageBytes: Int.max)
            var count = 0
            let outcome = bytes.withUnsafeBytes { framer.feed($0) { _ in count += 1; return false } }
            if count != min(1, expected.count) || (outcome == .stopped) != !expected.isEmpty {
                violated("a stop was not honoured")
            }
            // The lines are what ControlConnection hands to JSONParser and the JSON-RPC checks.
            for line in expected where line.count <= maxMessage {
                if case .object(let o)? = try? JSONParser.parse(line) {
                    _ = o["jsonrpc"]?.stringValue == "2.0"
                    _ = o["method"]?.stringValue
                    _ = o["id"].map { $0.serialized() }
                }
            }
        }),
    ]
}
