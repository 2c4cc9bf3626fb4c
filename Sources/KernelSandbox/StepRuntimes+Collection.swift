import Glibc
import KernelCore
import KernelLoop

extension StepRuntimes {
    /// What `mcpk runtime gc` removes (or, with `dryRun`, would remove).
    public struct Collection: Sendable {
        public struct Removal: Sendable {
            public var path: String
            /// `venv` (a per-component requirements venv) or `runtime`.
            public var kind: String
            public var reason: String
            public var sizeBytes: UInt64
        }
        public var dryRun: Bool
        public var removed: [Removal] = []
        public var kept: [String] = []

        public var json: JSON {
            ["dry_run": .bool(dryRun),
             "removed": .array(removed.map { ["path": .string($0.path), "kind": .string($0.kind), "reason": .string($0.reason),
                                              "size_bytes": .int(Int64($0.sizeBytes))] }),
             "kept": JSON(kept),
             "freed_bytes": .int(Int64(removed.reduce(UInt64(0)) { $0 + $1.sizeBytes }))]
        }
    }

    /// Removes the per-component venvs of `$MCPK_HOME/runtimes/venvs` that no component version
    /// references — `referencedKeys` are `PythonEnvironments.key(for:)` of every version's
    /// `requirements`; a venv built from a repository's requirements.txt is kept while some
    /// version names that repository (`repositories`) — unfinished builds, and a stale Python
    /// runtime the kernel manages (not one `MCPK_PYTHON_RUNTIME` names elsewhere). Builds in
    /// progress are left alone.
    public func collect(referencedKeys: Set<String>, repositories: Set<String>, dryRun: Bool) async throws -> Collection {
        var result = Collection(dryRun: dryRun)
        let venvs = environments.venvsDirectory
        let entries = try await files.run { () -> [(name: String, ready: Bool, origin: String, size: UInt64)] in
            StepRuntimes.directoryNames(venvs).map { name in
                let dir = venvs + "/" + name
                return (name, FileManagerLite.exists(dir + "/" + PythonEnvironments.readyFile),
                        (readFile(dir + "/" + PythonEnvironments.originFile, limit: 4096) ?? "config").trimmingWhitespace,
                        StepRuntimes.diskUsage(dir))
            }
        }
        for e in entries.sorted(by: { $0.name < $1.name }) {
            let dir = venvs + "/" + e.name
            if environments.isBuilding(dir) { result.kept.append(dir); continue }
            var reason: String?
            if !e.ready {
                reason = "unfinished build"
            } else if e.origin.hasPrefix("repository ") {
                let url = String(e.origin.dropFirst("repository ".count))
                if !repositories.contains(url) { reason = "no component version uses the repository \(url) any more" }
            } else if !referencedKeys.contains(e.name) {
                reason = "no component version references these requirements any more"
            }
            if let reason {
                result.removed.append(.init(path: dir, kind: "venv", reason: reason, sizeBytes: e.size))
            } else {
                result.kept.append(dir)
            }
        }
        if pythonIsManaged, builds[.python] == nil, FileManagerLite.exists(pythonPath) {
            let want = try? pinsSha256(), got = pythonInstalledSha256
            var reason: String?
            if !pythonIsPresent {
                reason = "unfinished build"
            } else if let want, got != want {
                reason = "stale: built from pins \(got.map { String($0.prefix(12)) } ?? "unknown"), the pins file's are \(want.prefix(12))"
            }
            if let reason {
                let dir = pythonPath
                let size = try await files.run { StepRuntimes.diskUsage(dir) }
                result.removed.append(.init(path: dir, kind: "runtime", reason: reason, sizeBytes: size))
            }
        }
        if !dryRun {
            let paths = result.removed.map(\.path)
            try await files.run { for p in paths { removeTree(p) } }
        }
        return result
    }

    /// Names of the directories in `path` (none if it does not exist).
    nonisolated static func directoryNames(_ path: String) -> [String] {
        guard let d = opendir(path) else { return [] }
        defer { closedir(d) }
        var names: [String] = []
        while let e = readdir(d) {
            let name = withUnsafePointer(to: e.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
            var st = stat()
            if name != "." && name != "..", lstat(path + "/" + name, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR { names.append(name) }
        }
        return names
    }
}
