import Glibc
import KernelCore
import KernelLoop

/// Git checkouts of component sources (Streamlit `gitRepoUrl`), cached by URL
/// and ref under `$MCPK_HOME/cache/git/<sha256>/{tree,commit}`. The clone is
/// the kernel's work, not the step's: Debian's `git` runs through the sandbox
/// (network on, only the new cache entry writable, no access to the kernel's
/// home, credentials or git configuration) with a clean environment — no
/// credential helpers, `GIT_TERMINAL_PROMPT=0`, no hooks, no templates, only the
/// https/http/git protocols (also for redirects and submodules) — a timeout and
/// a size limit. `.git` is removed from the checkout, which steps then get
/// read-only (`SandboxLimits.sourceMount`). An entry is never refreshed: a new
/// ref (or removing the entry) gets new code.
@KernelActor
public final class GitCheckouts {
    /// A ready checkout.
    public struct Checkout: Sendable, Equatable {
        /// Host path of the working tree (without `.git`).
        public var tree: String
        /// The commit that was checked out.
        public var commit: String
        /// True when this call cloned it; false when the cache had it.
        public var cloned: Bool
    }

    public static let gitPath = "/usr/bin/git"
    /// Wall-clock limit of one clone.
    public static let cloneTimeoutMs: UInt64 = 300_000
    /// Largest checkout (working tree) kept, and largest single file git may write (the pack).
    public static let maxCheckoutBytes: UInt64 = 512 << 20
    public static let cloneMemoryMb: UInt64 = 2048
    public static let cloneCpuSeconds: UInt64 = 600
    /// Longest git error kept in a failed step's message.
    public static let maxErrorBytes = 4096

    let sandbox: Sandbox
    private var cloning: [String: Task<Checkout, Error>] = [:]
    private var sequence = 0

    public init(sandbox: Sandbox) { self.sandbox = sandbox }

    /// The cache entry of `url` at `ref`.
    public func directory(url: String, ref: String?) -> String {
        sandbox.configuration.home + "/cache/git/" + SHA256.hex("git-checkout-v1\n" + url + "\n" + (ref ?? ""))
    }

    /// The checkout of `url` at `ref` (nil: the remote's default branch), cloning it if the cache lacks it.
    /// Emits `kernel` log events saying which (`git: cloning …` / `git: using cached checkout …`).
    public func ensure(url: String, ref: String?, onEvent: @escaping @KernelActor (StepEvent) -> Void) async throws -> Checkout {
        if let problem = SourceReference.gitURLProblem(url) {
            throw KernelError.invalidParams("gitRepoUrl: \(problem)", errors: [FieldError("config.gitRepoUrl", problem)])
        }
        if let ref, let problem = SourceReference.gitRefProblem(ref) {
            throw KernelError.invalidParams("gitRef: \(problem)", errors: [FieldError("config.gitRef", problem)])
        }
        let dir = directory(url: url, ref: ref)
        let shown = SourceReference.redactingCredentials(url) + (ref.map { " (\($0))" } ?? "")
        if var ready = cached(dir) {
            onEvent(.log(stream: "kernel", line: "git: using cached checkout \(ready.commit) of \(shown)"))
            ready.cloned = false
            return ready
        }
        if let t = cloning[dir] {
            var ready = try await t.value
            onEvent(.log(stream: "kernel", line: "git: using cached checkout \(ready.commit) of \(shown)"))
            ready.cloned = false
            return ready
        }
        let task = Task<Checkout, Error> { @KernelActor in
            defer { self.cloning[dir] = nil }
            onEvent(.log(stream: "kernel", line: "git: cloning \(shown)"))
            let checkout = try await self.clone(url: url, ref: ref, into: dir, onEvent: onEvent)
            onEvent(.log(stream: "kernel", line: "git: cloned \(shown) at \(checkout.commit)"))
            return checkout
        }
        cloning[dir] = task
        return try await task.value
    }

    /// A complete cache entry (the rename of a finished clone is what makes it exist).
    func cached(_ dir: String) -> Checkout? {
        guard FileManagerLite.exists(dir + "/tree"), let commit = readFile(dir + "/commit", limit: 256)?.trimmingWhitespace,
              !commit.isEmpty else { return nil }
        return Checkout(tree: dir + "/tree", commit: commit, cloned: false)
    }

    /// The clone script: shallow first; a dumb-HTTP server cannot serve shallow clones, so then a full one
    /// (same timeout and limits). Then the commit, `.git` removed, the size checked.
    static let cloneScript = """
    set -u
    git_clone() {
      "$GIT" -c credential.helper= -c core.hooksPath=/dev/null -c core.fsmonitor=false \\
        -c protocol.allow=never -c protocol.https.allow=always -c protocol.http.allow=always -c protocol.git.allow=always \\
        -c http.followRedirects=initial -c transfer.fsckObjects=true -c submodule.recurse=false -c init.templateDir= \\
        clone --quiet --no-tags --single-branch --template= --no-recurse-submodules "$@" -- "$URL" "$DEST/tree"
    }
    if [ -n "$REF" ]; then set -- --branch "$REF"; else set --; fi
    if ! git_clone --depth 1 "$@" 2>clone.err; then
      if grep -q "does not support shallow" clone.err; then
        echo "the server speaks the dumb HTTP protocol (no shallow clones): cloning in full"
        rm -rf "$DEST/tree"
        git_clone "$@" || exit 1
      else
        cat clone.err >&2
        exit 1
      fi
    fi
    "$GIT" -C "$DEST/tree" rev-parse HEAD > "$DEST/commit" || exit 1
    rm -rf "$DEST/tree/.git"
    size=$(du -sb "$DEST/tree" | cut -f1)
    if [ "$size" -gt "$MAX_BYTES" ]; then
      echo "the checkout is $size bytes, over the limit of $MAX_BYTES bytes" >&2
      exit 3
    fi
    """

    private func clone(url: String, ref: String?, into dir: String,
                       onEvent: @escaping @KernelActor (StepEvent) -> Void) async throws -> Checkout {
        guard FileManagerLite.isExecutable(GitCheckouts.gitPath) else {
            throw KernelError.unavailable("git is not installed (\(GitCheckouts.gitPath); Debian package git)")
        }
        sequence += 1
        let partial = dir + ".partial-\(getpid())-\(sequence)"
        removeStalePartials(of: dir)
        guard ensureDirectory(dir.parent), ensureDirectory(partial, mode: 0o700) else {
            throw KernelError.internal("cannot create \(partial)")
        }
        let spec = StepSpec(runId: "_git", stepId: String(partial.split(separator: "/").last ?? "git"), attempt: 1,
                            executable: "/bin/sh", arguments: ["-c", GitCheckouts.cloneScript],
                            environment: ["GIT": GitCheckouts.gitPath, "URL": url, "REF": ref ?? "", "DEST": partial,
                                          "MAX_BYTES": String(GitCheckouts.maxCheckoutBytes),
                                          "GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1",
                                          "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_PROTOCOL_FROM_USER": "0",
                                          "GIT_ASKPASS": "/bin/false", "SSH_ASKPASS": "/bin/false"],
                            network: true, timeoutMs: GitCheckouts.cloneTimeoutMs, cpuSeconds: GitCheckouts.cloneCpuSeconds,
                            memoryMb: GitCheckouts.cloneMemoryMb, fileSizeBytes: GitCheckouts.maxCheckoutBytes,
                            writableBinds: [partial])
        var messages: [String] = []
        var messageBytes = 0
        let step = try sandbox.start(spec, onEvent: { e in
            guard case .log(let stream, let raw) = e else { return }
            let line = SourceReference.redactingCredentials(raw)
            onEvent(.log(stream: "git-" + stream, line: line))
            guard stream == "stderr", messageBytes < GitCheckouts.maxErrorBytes else { return }
            messages.append(line)
            messageBytes += line.utf8.count + 1
        })
        let o = await step.outcome()
        removeTree(o.workDirectory)
        removeTree(o.workDirectory + ".etc")
        guard o.succeeded else {
            removeTree(partial)
            let detail = messages.isEmpty ? o.failureSummary : messages.joined(separator: "\n")
            throw KernelError.unavailable("git clone of \(SourceReference.redactingCredentials(url)) failed: "
                                          + SourceReference.redactingCredentials(String(detail.prefix(GitCheckouts.maxErrorBytes))))
        }
        removeTree(dir)
        guard rename(partial, dir) == 0, let ready = cached(dir) else {
            removeTree(partial)
            throw KernelError.internal("git clone of \(SourceReference.redactingCredentials(url)) left no checkout")
        }
        return Checkout(tree: ready.tree, commit: ready.commit, cloned: true)
    }

    /// Removes `<dir>.partial-*` left by a kernel that died mid-clone (one kernel per home holds
    /// the lock and `cloning` dedupes within it, so none of them is in use).
    private func removeStalePartials(of dir: String) {
        let prefix = String(dir.split(separator: "/").last ?? "") + ".partial-"
        guard let d = opendir(dir.parent) else { return }
        var stale: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasPrefix(prefix) { stale.append(dir.parent + "/" + name) }
        }
        closedir(d)
        for p in stale { removeTree(p) }
    }
}
