import Glibc
import KernelCore
import KernelPlugins

/// Paths and helpers shared by the plugin tests.
enum TestSupport {
    /// Repository root (from this file's location).
    static let root: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }()

    /// The build products directory (where the test bundle, mcpk and the bundled .so live).
    static let buildDir: String = {
        var buf = [CChar](repeating: 0, count: 4097)
        let n = readlink("/proc/self/exe", &buf, 4096)
        let exe = String(decoding: buf[0..<max(0, n)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var parts = exe.split(separator: "/", omittingEmptySubsequences: false)
        while let last = parts.last, !last.hasSuffix(".xctest") && parts.count > 1 { parts.removeLast() }
        parts.removeLast()
        return parts.joined(separator: "/")
    }()

    static var mcpkExecutable: String { buildDir + "/mcpk" }

    static func bundled(_ name: String) -> String { buildDir + "/lib\(name).so" }

    static func tempDir(_ tag: String) -> String {
        var template = Array("/tmp/mcpk-\(tag)-XXXXXX".utf8CString)
        return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    }

    /// Runs a shell command, returning its exit status.
    @discardableResult
    static func sh(_ command: String) -> Int32 {
        let status = system(command)
        return (status >> 8) & 0xff
    }

    /// Builds a C fixture into a shared library with the documented one-line cc command.
    static func buildFixture(_ source: String, into dir: String, name: String) throws -> String {
        let out = dir + "/lib\(name).so"
        let rc = sh("cc -shared -fPIC -I'\(root)/include' '\(source)' -o '\(out)'")
        if rc != 0 { throw KernelError.internal("cc failed (\(rc)) for \(source)") }
        return out
    }

    static func fixture(_ file: String) -> String { root + "/Tests/PluginABITests/Fixtures/" + file }
}

import KernelLoop
import KernelPlugins

/// Cancels a connection every few milliseconds from another thread until
/// stopped: a cancel that lands before the statement starts is a no-op by
/// contract, so a test must keep asking until the statement is running.
final class RepeatingCanceller: @unchecked Sendable {
    private let thread = WorkerThread(name: "canceller")
    private let lock = ConditionLock()
    private var stopped = false

    init(_ conn: PluginConnection, firstAfterMs: UInt32 = 100, everyMs: UInt32 = 50) {
        thread.submit { [self] in
            usleep(firstAfterMs * 1000)
            while !lock.withLock({ stopped }) {
                conn.cancel()
                usleep(everyMs * 1000)
            }
        }
    }

    func stop() {
        lock.withLock { stopped = true }
        thread.join()
    }
}
