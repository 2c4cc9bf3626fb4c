/// Splits a byte stream into lines; a line longer than `maxLine` is cut and
/// the rest of it skipped (the flag tells the caller).
struct LineBuffer {
    let maxLine: Int
    private var current: [UInt8] = []
    private var overlong = false

    init(maxLine: Int) { self.maxLine = maxLine }

    /// Feeds bytes; calls `emit(line, wasCut)` for each complete line.
    mutating func feed(_ bytes: UnsafeRawBufferPointer, _ emit: ([UInt8], Bool) -> Void) {
        for b in bytes {
            if b == 0x0A {
                emit(current, overlong)
                current.removeAll(keepingCapacity: true)
                overlong = false
            } else if current.count < maxLine {
                current.append(b)
            } else {
                overlong = true
            }
        }
    }

    /// Emits a final unterminated line.
    mutating func finish(_ emit: ([UInt8], Bool) -> Void) {
        if !current.isEmpty || overlong { emit(current, overlong) }
        current = []
        overlong = false
    }
}
