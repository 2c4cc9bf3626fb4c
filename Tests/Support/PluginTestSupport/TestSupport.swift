import Glibc
import KernelCore

/// Paths and helpers shared by the plugin test targets (KernelPluginsTests, PluginABITests).
public enum TestSupport {
    /// Repository root (from this file's location).
    public static let root: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(4)  // Tests/Support/PluginTestSupport/TestSupport.swift
        return parts.joined(separator: "/")
    }()

    /// The build products directory (where the test bundle, mcpk and the bundled .so live).
    public static let buildDir: String = {
        var buf = [CChar](repeating: 0, count: 4097)
        let n = readlink("/proc/self/exe", &buf, 4096)
        let exe = String(decoding: buf[0..<max(0, n)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var parts = exe.split(separator: "/", omittingEmptySubsequences: false)
        while let last = parts.last, !last.hasSuffix(".xctest") && parts.count > 1 { parts.removeLast() }
        parts.removeLast()
        return parts.joined(separator: "/")
    }()

    public static var mcpkExecutable: String { buildDir + "/mcpk" }

    /// The regular files of `dir` whose names end in `suffix`, as paths, sorted.
    public static func files(in dir: String, suffix: String) -> [String] {
        guard let d = opendir(dir) else { return [] }
        defer { closedir(d) }
        var out: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasSuffix(suffix) && !name.hasPrefix(".") { out.append(dir + "/" + name) }
        }
        return out.sorted()
    }

    public static func bundled(_ name: String) -> String { buildDir + "/lib\(name).so" }

    public static func tempDir(_ tag: String) -> String {
        var template = Array("/tmp/mcpk-\(tag)-XXXXXX".utf8CString)
        return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    }

    /// Runs a shell command, returning its exit status.
    @discardableResult
    public static func sh(_ command: String) -> Int32 {
        let status = system(command)
        return (status >> 8) & 0xff
    }

    /// Builds a C fixture into a shared library with the documented one-line cc command.
    public static func buildFixture(_ source: String, into dir: String, name: String) throws -> String {
        let out = dir + "/lib\(name).so"
        let rc = sh("cc -shared -fPIC -I'\(root)/include' '\(source)' -o '\(out)'")
        if rc != 0 { throw KernelError.internal("cc failed (\(rc)) for \(source)") }
        return out
    }

    public static func fixture(_ file: String) -> String { root + "/Tests/PluginABITests/Fixtures/" + file }
}
