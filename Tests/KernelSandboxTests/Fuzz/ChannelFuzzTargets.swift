// Fuzz target of the step channel's line framer (fd 3 JSON lines, `LineBuffer`) with the
// channel's message parsing, compiled into `mcpk-fuzz` (scripts/fuzz.sh) and into
// KernelSandboxTests (`ChannelFuzzReplayTests` replays fuzz/corpus/channel/*).
#if canImport(KernelSandbox)
@testable import KernelSandbox
import KernelCore
#endif

enum ChannelFuzzTargets {
    /// Small limits so cut lines are exercised.
    static let maxLine = 64

    static let all: [(name: String, run: @Sendable ([UInt8]) -> Void)] = [
        ("channel", { bytes in
            // Framing must not depend on how the stream is split: whole vs byte by byte.
            func frame(_ step: Int) -> [[UInt8]] {
                var b = LineBuffer(maxLine: maxLine)
                var lines: [[UInt8]] = []
                var i = 0
                while i < bytes.count {
                    let end = min(bytes.count, i + step)
                    Array(bytes[i..<end]).withUnsafeBytes { b.feed($0) { line, cut in lines.append(line + (cut ? [0xFF] : [])) } }
                    i = end
                }
                b.finish { line, cut in lines.append(line + (cut ? [0xFF] : [])) }
                return lines
            }
            let whole = frame(max(1, bytes.count)), single = frame(1)
            if whole != single {
                print("fuzz property violated: line framing depends on read boundaries")
                abort()
            }
            for line in whole where line.count <= maxLine {
                if let msg = try? JSONParser.parse(line) { _ = msg["type"]?.stringValue; _ = msg["fraction"]?.doubleValue }
            }
        }),
    ]
}

#if canImport(Glibc)
import Glibc
#endif
