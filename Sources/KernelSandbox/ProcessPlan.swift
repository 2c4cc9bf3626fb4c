import KernelCore

/// A process spec as an executor's `plan` returns it (include/mcpk/plugin.h):
/// `{"argv":[…], "env":{…}, "files":[{"path","content"}], "network", "timeout_ms",
/// "memory_mb", "cpu_seconds", "service":{"port","health_path"}, "binds":[{"source","dest"}]}`
/// plus the sandbox's members: `requirements` (Python packages → cached venv),
/// `typescript` ({source, output}: esbuild, cached), `ttl_seconds` (services),
/// `connections` (declared connection names), `address_space_limit`,
/// `source` ({git, ref?, entry}: a repository the kernel clones into its cache
/// and binds read-only; the step runs in the checkout) and `notebook_ref`
/// ({path, file}: an .ipynb under the notebook root the kernel reads, validates
/// and writes into the work dir as `file`), `runtime` (`python` or `node`: a step
/// runtime the step needs, `StepRuntimes.ensure` before it starts) and `warm` (true: argv is a Python
/// program the kernel may run as a fresh fork of a warm runner of the same plan,
/// `RunnerPool`; services never are).
///
/// argv/env values may use placeholders the sandbox fills in:
/// `{python}` (runtime or requirements venv interpreter), `{runtime}` (the
/// helpers dir as the step sees it), `{work}` (the work dir as the step sees
/// it), `{port}` (a free local port for a service), `{source}` (the checkout
/// of `source` as the step sees it), `{entry}` (its resolved `entry` file).
public struct ProcessPlan: Sendable, Equatable {
    /// `source`: a git repository to run from.
    public struct GitSource: Sendable, Equatable {
        public var url: String
        public var ref: String?
        /// Entry file, relative to the checkout.
        public var entry: String
    }

    /// `notebook_ref`: a notebook under the kernel's notebook root.
    public struct NotebookReference: Sendable, Equatable {
        /// Relative to the notebook root.
        public var path: String
        /// Work-dir file the notebook is written to.
        public var file: String
    }

    public var argv: [String]
    public var env: [String: String]
    public var files: [(path: String, content: String)]
    public var network: Bool
    public var timeoutMs: UInt64?
    public var memoryMb: UInt64?
    public var cpuSeconds: UInt64?
    public var servicePort: Int?
    public var serviceHealthPath: String?
    public var ttlSeconds: UInt64?
    public var requirements: [String]
    public var typescriptSource: String?
    public var typescriptOutput: String?
    public var connections: Set<String>
    public var limitAddressSpace: Bool
    public var readOnlyBinds: [String]
    public var gitSource: GitSource?
    public var notebookReference: NotebookReference?
    public var runtime: StepRuntimes.Name?
    /// The plan may run in a warm runner (`warm: true`).
    public var warm: Bool

    public var isService: Bool { serviceHealthPath != nil }

    public static func == (a: ProcessPlan, b: ProcessPlan) -> Bool {
        a.argv == b.argv && a.env == b.env && a.files.map(\.path) == b.files.map(\.path)
            && a.files.map(\.content) == b.files.map(\.content) && a.network == b.network && a.requirements == b.requirements
            && a.gitSource == b.gitSource && a.notebookReference == b.notebookReference && a.runtime == b.runtime && a.warm == b.warm
    }

    /// `requirements` as a list: requirements.txt text (comments and blank lines dropped) or an array of strings.
    /// Also how `mcpk runtime gc` reads a component version's `requirements`.
    public static func requirementList(_ value: JSON?) -> [String] {
        switch value {
        case .string(let s)?:
            return s.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).map { String($0).trimmingWhitespace }
                .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        case .array(let a)?:
            return a.compactMap(\.stringValue).map { $0.trimmingWhitespace }.filter { !$0.isEmpty }
        default:
            return []
        }
    }

    public init(json: JSON) throws {
        var errors: [FieldError] = []
        guard let argv = json["argv"]?.arrayValue?.compactMap(\.stringValue), !argv.isEmpty else {
            throw KernelError.invalidParams("process spec needs argv", errors: [FieldError("argv", "required, array of strings")])
        }
        self.argv = argv
        env = [:]
        for (k, v) in json["env"]?.objectValue ?? JSONObject() {
            if let s = v.stringValue { env[k] = s } else { errors.append(FieldError("env.\(k)", "must be a string")) }
        }
        files = []
        for (i, f) in (json["files"]?.arrayValue ?? []).enumerated() {
            guard let p = f["path"]?.stringValue, let c = f["content"]?.stringValue else {
                errors.append(FieldError("files[\(i)]", "needs path and content strings"))
                continue
            }
            files.append((p, c))
        }
        network = json["network"]?.boolValue ?? false
        warm = json["warm"]?.boolValue ?? false
        timeoutMs = json["timeout_ms"]?.intValue.map { UInt64(max($0, 1)) }
        memoryMb = json["memory_mb"]?.intValue.map { UInt64(max($0, 1)) }
        cpuSeconds = json["cpu_seconds"]?.intValue.map { UInt64(max($0, 1)) }
        servicePort = json["service"]?["port"]?.intValue.map { Int($0) }
        serviceHealthPath = json["service"]?["health_path"]?.stringValue ?? (json["service"] != nil ? "/" : nil)
        ttlSeconds = json["ttl_seconds"]?.intValue.map { UInt64(max($0, 1)) }
        requirements = ProcessPlan.requirementList(json["requirements"])
        runtime = nil
        if let r = json["runtime"] {
            if let name = r.stringValue.flatMap(StepRuntimes.Name.init(rawValue:)) {
                runtime = name
            } else {
                errors.append(FieldError("runtime", "must be one of " + StepRuntimes.Name.allCases.map(\.rawValue).joined(separator: ", ")))
            }
        }
        typescriptSource = json["typescript"]?["source"]?.stringValue
        typescriptOutput = json["typescript"]?["output"]?.stringValue
        connections = Set(json["connections"]?.arrayValue?.compactMap { $0.stringValue ?? $0["name"]?.stringValue } ?? [])
        limitAddressSpace = json["address_space_limit"]?.boolValue ?? true
        readOnlyBinds = json["binds"]?.arrayValue?.compactMap { b in
            guard let s = b["source"]?.stringValue, b["dest"]?.stringValue == s || b["dest"] == nil else { return nil }
            return s
        } ?? []
        gitSource = nil
        if let src = json["source"] {
            let url = src["git"]?.stringValue ?? ""
            let entry = src["entry"]?.stringValue ?? ""
            let ref = src["ref"]?.stringValue
            if let problem = SourceReference.gitURLProblem(url) { errors.append(FieldError("source.git", problem)) }
            if let ref, let problem = SourceReference.gitRefProblem(ref) { errors.append(FieldError("source.ref", problem)) }
            if let problem = SourceReference.relativePathProblem(entry) { errors.append(FieldError("source.entry", problem)) }
            gitSource = GitSource(url: url, ref: ref, entry: entry)
        }
        notebookReference = nil
        if let nb = json["notebook_ref"] {
            let path = nb["path"]?.stringValue ?? ""
            let file = nb["file"]?.stringValue ?? ""
            if let problem = SourceReference.relativePathProblem(path) { errors.append(FieldError("notebook_ref.path", problem)) }
            if let problem = SourceReference.relativePathProblem(file) { errors.append(FieldError("notebook_ref.file", problem)) }
            notebookReference = NotebookReference(path: path, file: file)
        }
        for r in requirements where r.hasPrefix("-") && !r.hasPrefix("--only-binary") {
            errors.append(FieldError("requirements", "pip options are not allowed: \(r)"))
        }
        if !errors.isEmpty { throw KernelError.invalidParams("invalid process spec", errors: errors) }
    }
}
