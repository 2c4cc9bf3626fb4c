import Glibc
import KernelCore
import KernelLoop

/// Memory and process limits through a delegated cgroup hierarchy.
///
/// Probed once: a writable cgroup v2 with `memory` and `pids` controllers
/// enabled for a child of `MCPK_CGROUP_ROOT` (default /sys/fs/cgroup/mcpk),
/// else writable cgroup v1 `memory` and `pids` hierarchies
/// (/sys/fs/cgroup/{memory,pids}/mcpk). Each step gets a leaf per hierarchy;
/// the launcher moves itself into the leaves before exec'ing bubblewrap, so
/// every process of the step is accounted from its first instruction.
public struct CgroupLimiter: Sendable {
    public enum Version: String, Sendable { case v1, v2 }

    public let version: Version
    /// v2: [root]; v1: [memory root, pids root].
    public let roots: [String]

    /// The cgroup v2 parent when `MCPK_CGROUP_ROOT` is not set.
    public static let defaultV2Root = "/sys/fs/cgroup/mcpk"

    /// Finds a usable hierarchy, creating the `mcpk` parent directory. nil when none is writable.
    public static func probe(v1Base: String = "/sys/fs/cgroup", v2Root: String? = nil) -> CgroupLimiter? {
        let v2 = v2Root ?? defaultV2Root
        let controllers = (readFile(v2.parent + "/cgroup.controllers") ?? "").trimmingWhitespace.split(separator: " ")
        if controllers.contains("memory"), controllers.contains("pids"),
           ensureDirectory(v2),
           writeFile(v2 + "/cgroup.subtree_control", "+memory +pids"),
           canCreateLeaf(v2) {
            return CgroupLimiter(version: .v2, roots: [v2])
        }
        let mem = v1Base + "/memory/mcpk", pids = v1Base + "/pids/mcpk"
        if FileManagerLite.exists(v1Base + "/memory/memory.limit_in_bytes"),
           FileManagerLite.exists(v1Base + "/pids/cgroup.procs"),
           ensureDirectory(mem), ensureDirectory(pids), canCreateLeaf(mem), canCreateLeaf(pids) {
            return CgroupLimiter(version: .v1, roots: [mem, pids])
        }
        return nil
    }

    /// Creates the step's leaves with the limits; returns the `cgroup.procs` paths to join.
    public func createLeaf(name: String, memoryBytes: UInt64, maxProcesses: UInt64) throws -> CgroupLeaf {
        var dirs: [String] = []
        for root in roots {
            let dir = root + "/" + name
            guard ensureDirectory(dir) else {
                CgroupLeaf(dirs: dirs).remove()
                throw KernelError.unavailable("cannot create cgroup \(dir): \(String(cString: strerror(errno)))")
            }
            dirs.append(dir)
        }
        let leaf = CgroupLeaf(dirs: dirs)
        var ok = true
        switch version {
        case .v2:
            ok = writeFile(dirs[0] + "/memory.max", String(memoryBytes))
            _ = writeFile(dirs[0] + "/memory.swap.max", "0") // absent without swap
            ok = ok && writeFile(dirs[0] + "/pids.max", String(maxProcesses))
        case .v1:
            ok = writeFile(dirs[0] + "/memory.limit_in_bytes", String(memoryBytes))
            _ = writeFile(dirs[0] + "/memory.memsw.limit_in_bytes", String(memoryBytes)) // absent without swap accounting
            ok = ok && writeFile(dirs[1] + "/pids.max", String(maxProcesses))
        }
        if !ok {
            leaf.remove()
            throw KernelError.unavailable("cannot write cgroup limits under \(dirs.joined(separator: ", "))")
        }
        return leaf
    }

    /// Removes leaves left by kernels that are gone (`step-<pid>-<n>` whose pid no longer exists).
    public func sweepStale() {
        for root in roots {
            let names = directoryEntries(root).filter { $0.hasPrefix("step-") }
            for name in names {
                let parts = name.split(separator: "-")
                guard parts.count == 3, let pid = Int32(parts[1]) else { continue }
                if pid != getpid(), kill(pid, 0) != 0, errno == ESRCH { rmdir(root + "/" + name) }
            }
        }
    }

    static func canCreateLeaf(_ root: String) -> Bool {
        let probe = root + "/probe-\(getpid())"
        guard mkdir(probe, 0o755) == 0 || errno == EEXIST else { return false }
        rmdir(probe)
        return true
    }
}

/// One step's cgroup directories.
public struct CgroupLeaf: Sendable {
    public let dirs: [String]
    public var procsFiles: [String] { dirs.map { $0 + "/cgroup.procs" } }

    /// Pids currently in the leaf.
    public func pids() -> [Int32] {
        var out = Set<Int32>()
        for f in procsFiles {
            for line in (readFile(f) ?? "").split(separator: "\n") { if let p = Int32(line) { out.insert(p) } }
        }
        return Array(out)
    }

    /// SIGKILLs every process still in the leaf (the step's stragglers).
    public func killAll() {
        for p in pids() where p > 1 { kill(p, SIGKILL) }
    }

    /// Memory limit hits recorded by the kernel (v1 failcnt / v2 events oom_kill).
    public func memoryLimitHit() -> Bool {
        guard let first = dirs.first else { return false }
        if let fc = readFile(first + "/memory.failcnt"), let n = Int(fc.trimmingWhitespace), n > 0 { return true }
        if let ev = readFile(first + "/memory.events") {
            for line in ev.split(separator: "\n") where line.hasPrefix("oom_kill ") || line.hasPrefix("max ") {
                if let n = Int(line.split(separator: " ").last ?? ""), n > 0 { return true }
            }
        }
        return false
    }

    /// OOM kills recorded so far (v2 `memory.events` oom_kill, v1 `memory.failcnt`).
    public func oomKillCount() -> Int {
        guard let first = dirs.first else { return 0 }
        if let ev = readFile(first + "/memory.events") {
            for line in ev.split(separator: "\n") where line.hasPrefix("oom_kill ") {
                return Int(line.split(separator: " ").last ?? "") ?? 0
            }
        }
        if let fc = readFile(first + "/memory.failcnt") { return Int(fc.trimmingWhitespace) ?? 0 }
        return 0
    }

    /// Removes the directories (processes must be gone; retried by the caller if busy).
    @discardableResult
    public func remove() -> Bool {
        var ok = true
        for d in dirs.reversed() where rmdir(d) != 0 && errno != ENOENT { ok = false }
        return ok
    }
}

// Small file helpers (KernelSandbox avoids Foundation).
extension String {
    var parent: String {
        guard let i = lastIndex(of: "/") else { return "." }
        return i == startIndex ? "/" : String(self[..<i])
    }
    var trimmingWhitespace: String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\n" || c == "\t" || c == "\r" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\n" || c == "\t" || c == "\r" { s.removeLast() }
        return String(s)
    }
}

enum FileManagerLite {
    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }
    static func isExecutable(_ path: String) -> Bool { access(path, X_OK) == 0 }
}

@discardableResult
func writeFile(_ path: String, _ text: String, mode: mode_t = 0o644) -> Bool {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var t = text
    return t.withUTF8 { b in
        var off = 0
        while off < b.count {
            let n = write(fd, b.baseAddress! + off, b.count - off)
            if n <= 0 { return false }
            off += n
        }
        return true
    }
}

func writeBytes(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) -> Bool {
    writeFile(path, String(decoding: bytes, as: UTF8.self), mode: mode)
}

/// mkdir -p.
func ensureDirectory(_ path: String, mode: mode_t = 0o755) -> Bool {
    if path.isEmpty { return false }
    var st = stat()
    if stat(path, &st) == 0 { return (st.st_mode & S_IFMT) == S_IFDIR }
    let parent = path.parent
    if parent != path, parent != "/", parent != "." { _ = ensureDirectory(parent, mode: mode) }
    return mkdir(path, mode) == 0 || errno == EEXIST
}

/// Names in a directory, without `.` and `..` (empty when it cannot be read).
func directoryEntries(_ path: String) -> [String] {
    guard let d = opendir(path) else { return [] }
    defer { closedir(d) }
    var names: [String] = []
    while let e = readdir(d) {
        let name = withUnsafePointer(to: e.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
        if name != "." && name != ".." { names.append(name) }
    }
    return names
}

/// rm -rf (no symlink following).
public func removeTree(_ path: String) {
    var st = stat()
    guard lstat(path, &st) == 0 else { return }
    if (st.st_mode & S_IFMT) == S_IFDIR {
        for n in directoryEntries(path) { removeTree(path + "/" + n) }
        rmdir(path)
    } else {
        unlink(path)
    }
}

/// Empties a directory, keeping the directory itself (a warm runner's slot is bind-mounted).
func removeChildren(of path: String) {
    for n in directoryEntries(path) { removeTree(path + "/" + n) }
}
