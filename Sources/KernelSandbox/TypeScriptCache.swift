import Glibc
import KernelCore
import KernelLoop

/// TypeScript → JavaScript with Debian's esbuild, cached by content hash
/// under `$MCPK_HOME/cache/typescript/<sha256>.js`. esbuild itself runs in
/// the sandbox (the source is untrusted input to a parser).
@KernelActor
public final class TypeScriptCache {
    public static let esbuildPath = "/usr/bin/esbuild"
    public static let compileTimeoutMs: UInt64 = 60_000
    let sandbox: Sandbox

    public init(sandbox: Sandbox) { self.sandbox = sandbox }

    public func cachePath(for source: String) -> String {
        sandbox.configuration.home + "/cache/typescript/" + SHA256.hex("esbuild-cjs-node18\n" + source) + ".js"
    }

    /// The transpiled JavaScript; compile errors become `invalid_params` with esbuild's message.
    public func compile(_ source: String) async throws -> String {
        let path = cachePath(for: source)
        if let cached = readFile(path, limit: 64 << 20) { return cached }
        guard FileManagerLite.isExecutable(TypeScriptCache.esbuildPath) else {
            throw KernelError.unavailable("esbuild is not installed (\(TypeScriptCache.esbuildPath))")
        }
        let spec = StepSpec(runId: "_esbuild", stepId: String(path.split(separator: "/").last ?? "ts"), attempt: 1,
                            executable: TypeScriptCache.esbuildPath,
                            arguments: ["main.ts", "--format=cjs", "--platform=node", "--target=node18", "--outfile=main.js", "--log-level=error"],
                            files: ["main.ts": Array(source.utf8)], timeoutMs: TypeScriptCache.compileTimeoutMs,
                            memoryMb: 1024, limitAddressSpace: false)
        var errors: [String] = []
        let step = try sandbox.start(spec, onEvent: { e in if case .log(_, let l) = e { errors.append(l) } })
        let o = await step.outcome()
        defer { removeTree(o.workDirectory); removeTree(o.workDirectory + ".etc") }
        guard o.succeeded, let js = readFile(o.workDirectory + "/main.js", limit: 64 << 20) else {
            throw KernelError.invalidParams("TypeScript compile failed: " + (errors.isEmpty ? o.failureSummary : errors.joined(separator: "\n")))
        }
        _ = ensureDirectory(path.parent)
        let tmp = path + ".tmp-\(getpid())"
        if writeFile(tmp, js) { rename(tmp, path) }
        return js
    }
}
