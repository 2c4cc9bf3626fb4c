import Glibc
import KernelCore
import KernelLoop

/// A TypeScript Script's type check with Debian's `tsc` (node-typescript),
/// run in the sandbox like esbuild (the source is untrusted input), so a type
/// error is refused when the component is saved, with its line and column.
/// esbuild only strips types; this is what checks them. A clean result is
/// cached by content hash (`$MCPK_HOME/cache/typescript/<sha256>.typechecked`).
///
/// Steps run as CommonJS on node without `@types/node` or npm packages
/// installed for the checker, so the diagnostics that only say a module or a
/// node global is unknown are not errors here (the run resolves them).
@KernelActor
public final class TypeScriptTypeCheck {
    public static let tscPath = "/usr/bin/tsc"
    public static let timeoutMs: UInt64 = 60_000
    /// Most diagnostics reported in one error (the rest are counted).
    public static let maxReported = 20
    /// "Cannot find module", "cannot find name 'require'/'process'…" (needs @types/node),
    /// "could not find a declaration file for module".
    public static let ignoredCodes: Set<Int> = [2307, 2580, 2591, 2592, 2503, 7016, 2792]

    /// One diagnostic of `main.ts`.
    public struct Diagnostic: Sendable, Equatable, CustomStringConvertible {
        public var line: Int
        public var column: Int
        public var code: Int
        public var message: String
        public var description: String { "line \(line), column \(column): TS\(code): \(message)" }
    }

    let sandbox: Sandbox

    public init(sandbox: Sandbox) { self.sandbox = sandbox }

    public static var isInstalled: Bool { FileManagerLite.isExecutable(tscPath) }

    /// The globals of node a step may use, as `any`: the checker loads only `lib.es2022` (not
    /// `lib.dom`, whose size doubles the check's time) and has no `@types/node`.
    static let ambient = ["process", "require", "module", "exports", "Buffer", "console", "setTimeout", "clearTimeout",
                          "setInterval", "clearInterval", "setImmediate", "queueMicrotask", "structuredClone", "fetch",
                          "URL", "URLSearchParams", "TextEncoder", "TextDecoder", "AbortController", "AbortSignal",
                          "performance", "crypto", "Blob", "Headers", "Request", "Response", "FormData", "global"]
        .map { "declare var \($0): any;" }.joined(separator: "\n")
        + "\ndeclare var __dirname: string; declare var __filename: string;\n"

    func markerPath(for source: String) -> String {
        sandbox.configuration.home + "/cache/typescript/" + SHA256.hex("tsc-check-v1\n" + source) + ".typechecked"
    }

    /// The type errors of `source` (empty: it checks).
    public func check(_ source: String) async throws -> [Diagnostic] {
        let marker = markerPath(for: source)
        if access(marker, F_OK) == 0 { return [] }
        guard TypeScriptTypeCheck.isInstalled else { throw KernelError.unavailable("tsc is not installed (\(TypeScriptTypeCheck.tscPath))") }
        let spec = StepSpec(runId: "_tsc", stepId: String(marker.split(separator: "/").last ?? "ts"), attempt: 1,
                            executable: TypeScriptTypeCheck.tscPath,
                            arguments: ["--noEmit", "--pretty", "false", "--target", "es2022", "--module", "commonjs",
                                        "--lib", "es2022", "--skipLibCheck", "--strict", "false",
                                        "--noResolve", "main.ts", "ambient.d.ts"],
                            files: ["main.ts": Array(source.utf8), "ambient.d.ts": Array(TypeScriptTypeCheck.ambient.utf8)],
                            timeoutMs: TypeScriptTypeCheck.timeoutMs, memoryMb: 1024, limitAddressSpace: false)
        var lines: [String] = []
        let step = try sandbox.start(spec, onEvent: { e in if case .log(_, let l) = e { lines.append(l) } })
        let o = await step.outcome()
        defer { removeTree(o.workDirectory); removeTree(o.workDirectory + ".etc") }
        let found = lines.compactMap(TypeScriptTypeCheck.parse).filter { !TypeScriptTypeCheck.ignoredCodes.contains($0.code) }
        if found.isEmpty {
            // tsc failed without a diagnostic of main.ts (killed, timed out): say so rather than pass it.
            if !o.succeeded && !lines.contains(where: { $0.contains("error TS") }) {
                throw KernelError.unavailable("the TypeScript type check did not finish: \(o.failureSummary)")
            }
            _ = ensureDirectory(marker.parent)
            _ = writeFile(marker, "")
        }
        return found
    }

    /// `main.ts(3,7): error TS2322: Type 'string' is not assignable to type 'number'.`
    static func parse(_ line: String) -> Diagnostic? {
        guard line.hasPrefix("main.ts("), let close = line.firstIndex(of: ")") else { return nil }
        let pos = line[line.index(line.startIndex, offsetBy: 8)..<close].split(separator: ",")
        guard pos.count == 2, let l = Int(pos[0]), let c = Int(pos[1]) else { return nil }
        let rest = line[line.index(after: close)...]
        guard let ts = rest.firstRange(of: "error TS") else { return nil }
        let after = rest[ts.upperBound...]
        guard let colon = after.firstIndex(of: ":"), let code = Int(after[..<colon]) else { return nil }
        return Diagnostic(line: l, column: c, code: code, message: String(after[after.index(after: colon)...].drop(while: { $0 == " " })))
    }
}
