import Glibc
import KernelCore
import KernelLoop

/// JSON lines over a file descriptor pair (the plugin-host pipe). Reads block;
/// writes are serialised by a lock and never raise SIGPIPE.
final class LineChannel: @unchecked Sendable {
    /// Longest line accepted (a row batch or a scan result).
    static let maxLineBytes = 64 << 20
    static let readChunk = 64 << 10

    let readFD: Int32
    let writeFD: Int32
    private let writeLock = ConditionLock()
    private var buffer: [UInt8] = []
    private var start = 0
    private(set) var eof = false

    init(readFD: Int32, writeFD: Int32) {
        self.readFD = readFD
        self.writeFD = writeFD
    }

    /// Writes one JSON value as a line; false if the peer is gone.
    @discardableResult
    func send(_ value: JSON) -> Bool {
        var bytes = value.serializedBytes()
        bytes.append(10)
        return writeLock.withLock {
            var off = 0
            while off < bytes.count {
                let n = bytes[off...].withUnsafeBytes { p -> Int in
                    if isSocket { return Glibc.send(writeFD, p.baseAddress, p.count, Int32(MSG_NOSIGNAL)) }
                    return write(writeFD, p.baseAddress, p.count)
                }
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                off += n
            }
            return true
        }
    }

    private lazy var isSocket: Bool = {
        var st = stat()
        return fstat(writeFD, &st) == 0 && (st.st_mode & S_IFMT) == S_IFSOCK
    }()

    /// Reads the next line as JSON; nil at end of stream. Throws on malformed input.
    func receive() throws -> JSON? {
        while true {
            if let nl = buffer[start...].firstIndex(of: 10) {
                let line = buffer[start..<nl]
                start = nl + 1
                if start > 1 << 20 { buffer.removeFirst(start); start = 0 }
                if line.isEmpty { continue }
                return try line.withUnsafeBufferPointer { try JSONParser.parse($0) }
            }
            if eof { return nil }
            if buffer.count - start > LineChannel.maxLineBytes {
                throw KernelError.internal("plugin host line longer than \(LineChannel.maxLineBytes) bytes")
            }
            var chunk = [UInt8](repeating: 0, count: LineChannel.readChunk)
            let n = chunk.withUnsafeMutableBytes { read(readFD, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                eof = true
                return nil
            }
            if n == 0 { eof = true; continue }
            buffer.append(contentsOf: chunk[0..<n])
        }
    }
}
