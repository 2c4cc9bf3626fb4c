import Glibc
import KernelCore
import KernelLoop

/// The step runtimes the kernel provisions itself (`mcpk runtime install|status|gc`):
///
/// * `python` — the venv notebook, Streamlit and MCP steps run under (`SandboxConfiguration.pythonRuntime`:
///   `MCPK_PYTHON_RUNTIME`, default `$MCPK_HOME/runtimes/python`), built by pip from PyPI with the pins of
///   `runtime/python/requirements.lock` through `PythonEnvironments.buildVenv` (sandboxed, network on,
///   the shared pip cache writable). Its stamp `.mcpk-runtime` holds the pins' SHA-256: other pins = stale.
/// * `node` — Debian's node and esbuild (TypeScript steps). Nothing to build: `install` checks they are
///   there and records their versions in `$MCPK_HOME/runtimes/node.json`.
///
/// A step whose plan names a runtime (`"runtime": "python"`) waits for `ensure`: a missing runtime is
/// built (when `autoInstall`, the setting `MCPK_RUNTIME_AUTO_INSTALL`), its log lines and progress going
/// to every step waiting for that build (one build per runtime at a time), or the step fails with a
/// message naming `mcpk runtime install`. File-tree work (removing a venv, sizes) runs on a worker thread.
@KernelActor
public final class StepRuntimes {
    public enum Name: String, CaseIterable, Sendable { case python, node }

    /// The pins file, relative to the runtime helpers dir (`runtime/` of the repository).
    public static let pinsFile = "python/requirements.lock"
    /// The Python runtime's stamp: the SHA-256 of the pins it was built from.
    public static let stampFile = ".mcpk-runtime"
    /// What `install node` records, under `$MCPK_HOME/runtimes`.
    public static let nodeManifestFile = "node.json"
    public static let nodeExecutable = "/usr/bin/node"
    public static let esbuildExecutable = TypeScriptCache.esbuildPath
    /// The command a step that lacks a runtime tells the user to run.
    public static let installCommand = "mcpk runtime install"
    /// The setting that turns automatic installs off (`0`/`false`/`off`).
    public nonisolated static let autoInstallVariable = "MCPK_RUNTIME_AUTO_INSTALL"
    /// Packages of the Python runtime whose installed versions the status reports.
    public static let reportedPackages = ["nbclient", "nbformat", "ipykernel", "streamlit", "mcp"]
    /// Share of the progress bar given to the pins pip meets ("Collecting"/"Processing" lines) (the rest: installing, finishing).
    static let collectShare = 0.8

    public let sandbox: Sandbox
    let environments: PythonEnvironments
    /// Steps install a missing runtime themselves (else they fail naming `installCommand`).
    public let autoInstall: Bool
    let files = WorkerThread(name: "mcpk-runtimes")
    var builds: [Name: RuntimeBuild] = [:]
    private var lastErrors: [Name: String] = [:]
    private var nodeVersions: [String: String]?
    /// The last report `status()` computed (for the synchronous `kernel.status`).
    public private(set) var lastReport: [RuntimeStatus] = []

    public init(sandbox: Sandbox, environments: PythonEnvironments, autoInstall: Bool) {
        self.sandbox = sandbox
        self.environments = environments
        self.autoInstall = autoInstall
    }

    deinit { files.stop() }

    var configuration: SandboxConfiguration { sandbox.configuration }
    public var runtimesDirectory: String { configuration.home + "/runtimes" }
    public var pinsPath: String { configuration.runtimeDirectory + "/" + StepRuntimes.pinsFile }
    public var pythonPath: String { configuration.pythonRuntime }
    /// The Python runtime lives under the home (not named by `MCPK_PYTHON_RUNTIME` elsewhere): gc may remove it.
    public var pythonIsManaged: Bool { pythonPath.hasPrefix(runtimesDirectory + "/") }

    /// `false` for `0`, `false`, `off`, `no` (any case); `true` otherwise and when unset.
    public nonisolated static func autoInstallSetting(_ raw: String?) -> Bool {
        guard let raw else { return true }
        return !["0", "false", "off", "no"].contains(raw.lowercased())
    }

    // MARK: ensure / install

    /// Returns once `name` is usable by a step (building it if allowed), else throws `unavailable`
    /// with the command to run. A present but stale runtime is used as it is.
    /// `onWaiting` receives a function that stops the wait for a build (a cancelled step).
    public func ensure(_ name: Name, onEvent: @escaping @KernelActor (StepEvent) -> Void,
                       onWaiting: ((@escaping @KernelActor () -> Void) -> Void)? = nil) async throws {
        switch name {
        case .node:
            if let missing = missingNodeParts() {
                throw KernelError.unavailable("the node step runtime is missing (\(missing)): install Debian's nodejs and esbuild "
                                              + "(`make deps`, or `apt-get install nodejs esbuild`), then check with `\(StepRuntimes.installCommand) node`")
            }
        case .python:
            if pythonIsPresent { return }
            if let build = builds[.python] {
                onEvent(.log(stream: "kernel", line: "waiting for the python step runtime build already running (\(pythonPath))"))
                try await build.join(onEvent, onWaiting: onWaiting)
                return
            }
            guard autoInstall else {
                throw KernelError.unavailable("the python step runtime is not installed at \(pythonPath): run `\(StepRuntimes.installCommand) python` "
                                              + "(automatic installs are off: \(StepRuntimes.autoInstallVariable)=0)")
            }
            onEvent(.log(stream: "kernel", line: "the python step runtime is missing at \(pythonPath): installing it now (as `\(StepRuntimes.installCommand) python` would)"))
            try await startBuild(.python).join(onEvent, onWaiting: onWaiting)
        }
    }

    /// `runtime.install`: builds (python) or checks and records (node) one runtime. A ready one is
    /// left alone unless `force`; a stale or missing one is (re)built — but a present one that
    /// `MCPK_PYTHON_RUNTIME` names outside the home is never replaced. Returns its status.
    public func install(_ name: Name, force: Bool, onEvent: @escaping @KernelActor (StepEvent) -> Void) async throws -> RuntimeStatus {
        switch name {
        case .node:
            try await ensure(.node, onEvent: onEvent)
            nodeVersions = nil
            let versions = await probeNodeVersions()
            var manifest = JSONObject()
            for (k, v) in versions.sorted(by: { $0.key < $1.key }) { manifest[k] = .string(v) }
            manifest["node_path"] = .string(StepRuntimes.nodeExecutable)
            manifest["esbuild_path"] = .string(StepRuntimes.esbuildExecutable)
            manifest["recorded_at"] = Timestamp.now().json
            _ = ensureDirectory(runtimesDirectory)
            _ = writeFile(runtimesDirectory + "/" + StepRuntimes.nodeManifestFile, JSON.object(manifest).serialized() + "\n")
            onEvent(.log(stream: "kernel", line: "node runtime: " + versions.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))
            onEvent(.progress(fraction: 1, message: "node runtime ready"))
        case .python:
            if let build = builds[.python] {
                onEvent(.log(stream: "kernel", line: "joining the python step runtime build already running"))
                try await build.join(onEvent)
            } else if pythonIsPresent && !pythonIsManaged {
                // Named by MCPK_PYTHON_RUNTIME outside the home: other kernels may run steps from it.
                onEvent(.log(stream: "kernel", line: "python runtime at \(pythonPath) is named by \(SandboxConfiguration.pythonRuntimeVariable), "
                             + "not managed by this kernel: left as it is (rebuild it with scripts/python-runtime.sh \(pythonPath))"))
                onEvent(.progress(fraction: 1, message: "python runtime left as it is"))
            } else if force || !pythonIsPresent || pythonInstalledSha256 != (try? pinsSha256()) {
                try await startBuild(.python).join(onEvent)
            } else {
                onEvent(.log(stream: "kernel", line: "python runtime up to date: \(pythonPath)"))
                onEvent(.progress(fraction: 1, message: "python runtime up to date"))
            }
        }
        return try await status().first { $0.name == name } ?? { throw KernelError.internal("no status for \(name.rawValue)") }()
    }

    private func startBuild(_ name: Name) -> RuntimeBuild {
        let build = RuntimeBuild()
        builds[name] = build
        Task { @KernelActor in
            do {
                try await self.buildPython(build)
                self.lastErrors[name] = nil
                self.builds[name] = nil
                build.finish(.success(()))
            } catch {
                let message = (error as? KernelError)?.message ?? "\(error)"
                self.lastErrors[name] = message
                self.builds[name] = nil
                build.finish(.failure(KernelError.unavailable("installing the python step runtime failed: \(message) "
                                                              + "(retry with `\(StepRuntimes.installCommand) python`)")))
            }
        }
        return build
    }

    private func buildPython(_ build: RuntimeBuild) async throws {
        let dir = pythonPath
        let pins = try pinsText()
        let hash = SHA256.hex(pins)
        let count = max(1, StepRuntimes.pinnedPackages(pins).count)
        build.emit(.log(stream: "kernel", line: "installing the python step runtime into \(dir) from \(pinsPath) "
                        + "(\(count) pins, sha256 \(hash.prefix(12))…, pip cache \(configuration.pipCacheDirectory))"))
        build.emit(.progress(fraction: 0, message: "python runtime: creating the venv"))
        try await files.run { removeTree(dir) }
        guard ensureDirectory(dir.parent) else { throw KernelError.internal("cannot create \(dir.parent)") }
        var seen = Set<String>()
        try await environments.buildVenv(dir, requirements: pins, label: "python-runtime", linkedSite: nil, readOnlyBinds: [],
                                         onEvent: { e in
            build.emit(e)
            guard case .log(_, let line) = e else { return }
            if let name = StepRuntimes.packageLine(line) {
                // Distinct pins met ("Collecting x==1" offline, downloading or installing): each once.
                guard !name.hasPrefix("pip=="), seen.insert(name).inserted else { return }
                build.emit(.progress(fraction: StepRuntimes.collectShare * Double(min(seen.count, count)) / Double(count),
                                     message: "python runtime: \(name) (\(min(seen.count, count))/\(count))"))
            } else if line.hasPrefix(PythonEnvironments.fetchingMarker) {
                build.emit(.progress(fraction: StepRuntimes.collectShare * Double(min(seen.count, count)) / Double(count),
                                     message: "python runtime: downloading what the wheel cache lacks"))
            } else if line.hasPrefix("Installing collected packages"), !seen.isEmpty {
                build.emit(.progress(fraction: StepRuntimes.collectShare + 0.1, message: "python runtime: installing \(count) packages"))
            }
        })
        guard writeFile(dir + "/" + StepRuntimes.stampFile, hash + "\n") else {
            throw KernelError.internal("cannot write \(dir)/\(StepRuntimes.stampFile)")
        }
        build.emit(.progress(fraction: 1, message: "python runtime ready"))
        build.emit(.log(stream: "kernel", line: "python step runtime ready: \(dir)"))
    }

    // MARK: status

    var pythonIsPresent: Bool {
        FileManagerLite.isExecutable(pythonPath + "/bin/python") && FileManagerLite.exists(pythonPath + "/" + StepRuntimes.stampFile)
    }

    var pythonInstalledSha256: String? {
        guard let s = readFile(pythonPath + "/" + StepRuntimes.stampFile, limit: 4096)?.trimmingWhitespace, !s.isEmpty else { return nil }
        return s
    }

    func pinsText() throws -> String {
        guard let text = readFile(pinsPath, limit: 1 << 20) else {
            throw KernelError.unavailable("the Python runtime pins file \(pinsPath) is missing (MCPK_RUNTIME_DIR names the runtime helpers)")
        }
        return text
    }

    func pinsSha256() throws -> String { SHA256.hex(try pinsText()) }

    /// The requirement a pip output line is about (`Collecting nbclient==0.11.0 …`), or nil.
    /// `Processing …/wheels/altair-6.3.0-py3-none-any.whl …` (an offline install) gives `altair==6.3.0`.
    nonisolated static func packageLine(_ line: String) -> String? {
        func normal(_ name: Substring) -> String { name.lowercased().replacing("-", with: "_").replacing(".", with: "_") }
        if line.hasPrefix("Collecting "), let spec = line.dropFirst("Collecting ".count).split(separator: " ").first {
            guard let eq = spec.firstRange(of: "==") else { return normal(spec) }
            return normal(spec[..<eq.lowerBound]) + "==" + spec[eq.upperBound...]
        }
        guard line.hasPrefix("Processing "), let path = line.dropFirst("Processing ".count).split(separator: " ").first,
              path.hasSuffix(".whl"), let file = path.split(separator: "/").last else { return nil }
        let parts = file.split(separator: "-")
        guard parts.count >= 3 else { return nil }
        return normal(parts[0]) + "==" + parts[1]
    }

    /// The `name==version` lines of a pins file (not pip itself).
    nonisolated static func pinnedPackages(_ pins: String) -> [String] {
        pins.split(separator: "\n").map { String($0).trimmingWhitespace }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") && !$0.hasPrefix("pip==") }
    }

    private func missingNodeParts() -> String? {
        let missing = [StepRuntimes.nodeExecutable, StepRuntimes.esbuildExecutable].filter { !FileManagerLite.isExecutable($0) }
        return missing.isEmpty ? nil : missing.joined(separator: ", ") + " not found"
    }

    private func probeNodeVersions() async -> [String: String] {
        if let nodeVersions { return nodeVersions }
        var v: [String: String] = [:]
        if let s = await Sandbox.capture(StepRuntimes.nodeExecutable, ["--version"])?.trimmingWhitespace { v["node"] = s }
        if let s = await Sandbox.capture(StepRuntimes.esbuildExecutable, ["--version"])?.trimmingWhitespace { v["esbuild"] = s }
        if v.count == 2 { nodeVersions = v }
        return v
    }

    /// Every runtime's status (sizes walked on the worker thread).
    public func status() async throws -> [RuntimeStatus] {
        let dir = pythonPath
        let want = try? pinsSha256()
        let got = pythonInstalledSha256
        let packages = StepRuntimes.reportedPackages
        let (pySize, pyVersions) = try await files.run { () -> (UInt64, [String: String]) in
            (StepRuntimes.diskUsage(dir), StepRuntimes.pythonVersions(dir, packages: packages))
        }
        var python = RuntimeStatus(name: .python, state: .missing, path: dir, managed: pythonIsManaged, versions: pyVersions,
                                   sizeBytes: pySize, pinsFile: pinsPath, pinsSha256: want, installedSha256: got,
                                   lastError: lastErrors[.python])
        if builds[.python] != nil { python.state = .installing } else if pythonIsPresent { python.state = got == want ? .ready : .stale }
        var node = RuntimeStatus(name: .node, state: .missing, path: StepRuntimes.nodeExecutable, managed: false, versions: [:],
                                 sizeBytes: 0, pinsFile: nil, pinsSha256: nil, installedSha256: nil, lastError: lastErrors[.node])
        if missingNodeParts() == nil {
            node.state = .ready
            node.versions = await probeNodeVersions()
            let binaries = [StepRuntimes.nodeExecutable, StepRuntimes.esbuildExecutable]
            node.sizeBytes = try await files.run { binaries.reduce(UInt64(0)) { $0 + StepRuntimes.diskUsage(SourceFiles.realPath($1) ?? $1) } }
        }
        lastReport = [python, node]
        return lastReport
    }

    /// `du -s` in bytes (allocated blocks; symlinks not followed).
    nonisolated static func diskUsage(_ path: String) -> UInt64 {
        var st = stat()
        guard lstat(path, &st) == 0 else { return 0 }
        var total = UInt64(max(0, st.st_blocks)) * 512
        guard (st.st_mode & S_IFMT) == S_IFDIR, let d = opendir(path) else { return total }
        var names: [String] = []
        while let e = readdir(d) {
            let name = withUnsafePointer(to: e.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
            if name != "." && name != ".." { names.append(name) }
        }
        closedir(d)
        for n in names { total += diskUsage(path + "/" + n) }
        return total
    }

    /// `python` from pyvenv.cfg and the reported packages' versions from their `.dist-info` dirs.
    nonisolated static func pythonVersions(_ venv: String, packages: [String]) -> [String: String] {
        var v: [String: String] = [:]
        for line in (readFile(venv + "/pyvenv.cfg", limit: 1 << 16) ?? "").split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map { String($0).trimmingWhitespace }
            if parts.count == 2, parts[0] == "version" || (parts[0] == "version_info" && v["python"] == nil) { v["python"] = parts[1] }
        }
        let wanted = Set(packages.map { $0.lowercased().replacing("-", with: "_") })
        guard let d = opendir(venv + "/lib/python3.11/site-packages") else { return v }
        while let e = readdir(d) {
            let name = withUnsafePointer(to: e.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
            guard name.hasSuffix(".dist-info") else { continue }
            let stem = name.dropLast(".dist-info".count)
            guard let dash = stem.firstIndex(of: "-") else { continue }
            let package = stem[..<dash].lowercased().replacing("-", with: "_")
            if wanted.contains(package) { v[package] = String(stem[stem.index(after: dash)...]) }
        }
        closedir(d)
        return v
    }
}
