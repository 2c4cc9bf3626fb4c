/// Splits a byte stream into lines (LF, optional CR stripped); lines longer than `maxLine`
/// are cut and flagged.
struct LineSplitter {
    let maxLine: Int
    private var partial: [UInt8] = []
    private var overflowed = false

    init(maxLine: Int) { self.maxLine = maxLine }

    /// Feeds bytes; returns complete lines and whether each was cut.
    mutating func feed(_ buf: UnsafeRawBufferPointer) -> [(String, Bool)] {
        var out: [(String, Bool)] = []
        for b in buf {
            if b == 10 {
                out.append((finishLine(), overflowed))
                overflowed = false
            } else if partial.count < maxLine {
                partial.append(b)
            } else {
                overflowed = true
            }
        }
        return out
    }

    /// Whatever is left at EOF.
    mutating func finish() -> (String, Bool)? {
        guard !partial.isEmpty else { return nil }
        let cut = overflowed
        overflowed = false
        return (finishLine(), cut)
    }

    private mutating func finishLine() -> String {
        if partial.last == 13 { partial.removeLast() }
        let s = String(decoding: partial, as: UTF8.self)
        partial.removeAll(keepingCapacity: true)
        return s
    }
}
