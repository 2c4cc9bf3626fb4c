/// The control socket's line framer (NDJSON): bytes in, every complete non-empty line out (without
/// its `\n`), the unfinished tail kept for the next read. Pure and transport-free so it is fuzzed
/// alone (`ndjson` target, Tests/KernelServerTests/Fuzz/ControlFuzzTargets.swift); `ControlConnection`
/// owns one per client.
struct NDJSONFramer {
    /// What one `feed` ended with.
    enum Outcome: Equatable {
        /// Every complete line was handed out; the tail (if any) is kept.
        case fed
        /// The line handler asked to stop (the connection is closing); the rest is not framed.
        case stopped
        /// The unfinished tail is longer than `maxMessageBytes`; it was dropped.
        case overflow
    }

    /// Longest unfinished line kept between reads (`ControlServer.maxMessageBytes` for the socket).
    let maxMessageBytes: Int
    private var buffer: [UInt8] = []
    /// Bytes of `buffer` already scanned for a newline.
    private var scanned = 0

    init(maxMessageBytes: Int) {
        self.maxMessageBytes = maxMessageBytes
    }

    /// Bytes held of the unfinished line.
    var pendingBytes: Int { buffer.count }

    /// Appends `chunk` and hands each complete non-empty line to `line`, in order; `line` returns
    /// false to stop framing.
    mutating func feed(_ chunk: UnsafeRawBufferPointer, _ line: (ArraySlice<UInt8>) -> Bool) -> Outcome {
        buffer.append(contentsOf: chunk)
        var lineStart = 0
        var i = scanned
        while i < buffer.count {
            if buffer[i] == 0x0A {
                if i > lineStart && !line(buffer[lineStart..<i]) { return .stopped }
                lineStart = i + 1
            }
            i += 1
        }
        if lineStart > 0 { buffer.removeSubrange(0..<lineStart) }
        scanned = buffer.count
        if buffer.count > maxMessageBytes {
            buffer = []
            scanned = 0
            return .overflow
        }
        return .fed
    }
}
