import Glibc
import KernelCore
import KernelLoop
@testable import KernelPlugins
import PluginTestSupport
import Testing

/// The `mcpk plugin-host` child of a process-isolated plugin gets its socket and stderr, and
/// none of the kernel's other descriptors, even those some library opened without
/// close-on-exec: a long-lived child holding such a copy would keep that pipe or socket open
/// for everyone (a peer would never see EOF on it).
@Suite struct ProcessIsolationDescriptorTests {
    /// What /proc/<pid>/fd/<n> points at (e.g. "pipe:[1234]").
    static func target(_ path: String) -> String? {
        var buf = [CChar](repeating: 0, count: 256)
        let n = readlink(path, &buf, buf.count - 1)
        return n > 0 ? String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : nil
    }

    /// Children of this process whose command line contains `needle`.
    static func children(containing needle: String) -> [Int32] {
        guard let d = opendir("/proc") else { return [] }
        defer { closedir(d) }
        var out: [Int32] = []
        while let e = readdir(d) {
            let name = withUnsafePointer(to: e.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
            guard let pid = Int32(name), let stat = readFile("/proc/\(name)/stat"),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 1, Int32(fields[1]) == getpid() else { continue }
            let cmdline = String((readFile("/proc/\(name)/cmdline") ?? "").map { $0 == "\0" ? " " : $0 })
            if cmdline.contains(needle) { out.append(pid) }
        }
        return out
    }

    @Test @KernelActor func theChildInheritsNoneOfTheKernelsDescriptors() async throws {
        // A pipe opened without close-on-exec, as a careless library would.
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        let leaked = Set([fds[0], fds[1]].compactMap { Self.target("/proc/self/fd/\($0)") })
        #expect(!leaked.isEmpty)   // both ends name the same pipe

        let mcpk = TestSupport.mcpkExecutable
        let host = PluginHost(configuration: PluginHostConfiguration(directories: [], childCommand: [mcpk, "plugin-host"]))
        let path = TestSupport.bundled("mcpk-testops")
        _ = try await host.load(path: path, isolation: .process)
        let children = Self.children(containing: "plugin-host --path \(path)")
        #expect(!children.isEmpty)
        for child in children {
            let dir = "/proc/\(child)/fd"
            guard let d = opendir(dir) else { continue }
            var targets: [String] = []
            while let e = readdir(d) {
                let name = withUnsafePointer(to: e.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
                if let t = Self.target(dir + "/" + name) { targets.append(t) }
            }
            closedir(d)
            #expect(leaked.isDisjoint(with: targets), "plugin-host \(child) holds \(targets)")
        }
        await host.shutdown()
    }
}
