// Fuzz target of the out-of-process plugin host's line channel (`LineChannel`: JSON lines over a
// file descriptor, issue 16), compiled into `mcpk-fuzz` (scripts/fuzz.sh) and into
// KernelPluginsTests (`PluginChannelFuzzReplayTests` replays fuzz/corpus/pluginline/*).
#if canImport(KernelPlugins)
@testable import KernelPlugins
import KernelCore
#endif
#if canImport(Glibc)
import Glibc
#endif

enum PluginChannelFuzzTargets {
    /// An unlinked temporary file holding `bytes`, positioned at its start (a read(2)able fd like the
    /// plugin host's pipe, without a writer thread; Glibc's module does not export memfd_create).
    static func memoryFile(_ bytes: [UInt8]) -> Int32 {
        guard let file = tmpfile() else { abort() }
        let fd = dup(fileno(file))
        fclose(file)
        if fd < 0 { abort() }
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { abort() }
            off += n
        }
        lseek(fd, 0, SEEK_SET)
        return fd
    }

    /// Every value `channel` yields until the end or the first malformed line, and whether it threw.
    static func drain(_ channel: LineChannel) -> (values: [JSON], threw: Bool) {
        var values: [JSON] = []
        do {
            while let v = try channel.receive() { values.append(v) }
            return (values, false)
        } catch {
            return (values, true)
        }
    }

    static let all: [(name: String, run: @Sendable ([UInt8]) -> Void)] = [
        ("pluginline", { bytes in
            func violated(_ what: String) -> Never {
                print("fuzz property violated: \(what)")
                abort()
            }
            // What the channel must yield: each complete non-empty line parsed, until one does not parse.
            var expected: [JSON] = []
            var malformed = false
            var start = 0
            for (i, b) in bytes.enumerated() where b == 0x0A {
                defer { start = i + 1 }
                if i == start { continue }
                guard let v = try? JSONParser.parse(Array(bytes[start..<i])) else { malformed = true; break }
                expected.append(v)
            }
            let input = memoryFile(bytes)
            defer { close(input) }
            let (values, threw) = drain(LineChannel(readFD: input, writeFD: -1))
            if values != expected || threw != malformed {
                violated("received \(values.count) values (threw \(threw)), expected \(expected.count) (malformed \(malformed))")
            }
            // What the channel sends, it receives back unchanged.
            let echo = memoryFile([])
            defer { close(echo) }
            let sender = LineChannel(readFD: echo, writeFD: echo)
            for v in values where !sender.send(v) { violated("send failed") }
            lseek(echo, 0, SEEK_SET)
            let (back, backThrew) = drain(sender)
            if back != values || backThrew { violated("a sent value did not come back unchanged") }
        }),
    ]
}
