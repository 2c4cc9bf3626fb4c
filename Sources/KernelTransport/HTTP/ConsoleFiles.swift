import Glibc
import KernelCore
import KernelLoop

/// The web console's static files (`console/` at the repository root, outside every
/// target, found at run time by `ConsoleFiles.locate`): MIME types, strong ETags
/// with 304, no path traversal, and the SPA fallback to `index.html` for paths that
/// are not files. No resource bundle: `Bundle.module` would link Foundation and ICU
/// into `mcpk` (docs/ARCHITECTURE.md, "Performance: idle memory").
public final class ConsoleFiles: @unchecked Sendable {
    /// Files larger than this are not served from the console directory.
    public static let maxFileBytes = 64 * 1024 * 1024
    /// The setting that names the console directory.
    public static let directorySetting = "MCPK_CONSOLE_DIR"
    /// A development build: the executable is `<repo>/.build/<triple>/<config>/mcpk`.
    public static let buildTreeRelativePath = "../../../console"
    /// An installed layout: `<prefix>/bin/mcpk` and `<prefix>/share/mcpk/console`.
    public static let installedRelativePath = "../share/mcpk/console"

    /// Where the console directory came from (one rule, first match wins).
    public enum Source: String, Sendable {
        /// `MCPK_CONSOLE_DIR`; when set it is the only place looked at.
        case setting
        /// `<exe dir>/../../../console` (the repository).
        case buildTree = "build_tree"
        /// `<exe dir>/../share/mcpk/console`.
        case installed
        /// Nowhere: console paths answer 404 "the console is not installed".
        case notInstalled = "not_installed"
    }

    public struct File {
        public let bytes: [UInt8]
        public let etag: String
        public let contentType: String
    }

    /// The console directory (absolute, symlinks resolved), or nil when not installed.
    public let root: String?
    public let source: Source
    private var cache: [String: (mtime: Int, size: Int, file: File)] = [:]

    public init(root: String?, source: Source? = nil) {
        self.root = root
        self.source = source ?? (root == nil ? .notInstalled : .setting)
    }

    /// The console found by `locate` from the settings and the running executable.
    public convenience init(settings: [String: String], executableDirectory: String?) {
        let found = ConsoleFiles.locate(setting: settings[ConsoleFiles.directorySetting],
                                        executableDirectory: executableDirectory)
        self.init(root: found.root, source: found.source)
    }

    /// The lookup rule: `MCPK_CONSOLE_DIR` if set (a missing directory there means
    /// not installed: an explicit setting is never silently replaced); else the
    /// repository next to a development build; else the installed layout.
    public static func locate(setting: String?, executableDirectory: String?) -> (root: String?, source: Source) {
        if let setting, !setting.isEmpty {
            return (directory(setting), directory(setting) == nil ? .notInstalled : .setting)
        }
        guard let exe = executableDirectory else { return (nil, .notInstalled) }
        if let dir = directory(exe + "/" + buildTreeRelativePath) { return (dir, .buildTree) }
        if let dir = directory(exe + "/" + installedRelativePath) { return (dir, .installed) }
        return (nil, .notInstalled)
    }

    /// `path` resolved (realpath) if it is a directory holding `index.html`.
    static func directory(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        let dir = String(cString: resolved)
        var st = stat()
        guard stat(dir, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR,
              stat(dir + "/index.html", &st) == 0, (st.st_mode & S_IFMT) == S_IFREG
        else { return nil }
        return dir
    }

    /// The `console` section of `kernel.status` / `dashboard.health`.
    public var statusJSON: JSON {
        ["installed": .bool(root != nil), "dir": root.map(JSON.string) ?? .null, "source": .string(source.rawValue)]
    }

    /// Answers GET/HEAD for a non-API path.
    public func response(for request: HTTPRequest) -> HTTPResponse {
        guard let root else {
            return .error(404, kind: "not_found", message: "the console is not installed")
        }
        // Decode per segment; refuse traversal and odd bytes.
        var parts: [String] = []
        for raw in request.rawPath.split(separator: "/", omittingEmptySubsequences: true) {
            guard let seg = HTTPRequest.percentDecode(String(raw), plusIsSpace: false),
                  seg != "..", seg != ".", !seg.contains("/"), !seg.contains("\\"), !seg.contains("\0")
            else {
                return .error(404, kind: "not_found", message: "no such file")
            }
            parts.append(seg)
        }
        var relative = parts.joined(separator: "/")
        if relative.isEmpty { relative = "index.html" }
        var file = load(root + "/" + relative)
        if file == nil {
            // SPA fallback: client-side routes (no extension) get index.html.
            let last = parts.last ?? ""
            if !last.contains(".") { file = load(root + "/index.html") }
        }
        guard let file else { return .error(404, kind: "not_found", message: "no such file: /\(relative)") }
        let common: [(String, String)] = [("ETag", file.etag), ("Cache-Control", "no-cache"),
                                          ("X-Content-Type-Options", "nosniff")]
        if let inm = request.header("if-none-match"),
           inm.split(separator: ",").contains(where: { $0.httpTrimmed() == file.etag || $0.httpTrimmed() == "*" }) {
            return HTTPResponse(status: 304, headers: common)
        }
        return HTTPResponse(status: 200, headers: [("Content-Type", file.contentType)] + common, body: file.bytes)
    }

    /// A regular file's contents (cached while mtime and size are unchanged).
    func load(_ path: String) -> File? {
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, Int(st.st_size) <= ConsoleFiles.maxFileBytes
        else { return nil }
        let mtime = Int(st.st_mtim.tv_sec) * 1_000_000_000 + Int(st.st_mtim.tv_nsec)
        if let c = cache[path], c.mtime == mtime, c.size == Int(st.st_size) { return c.file }
        guard let bytes = try? WholeFile.bytes(path, limit: ConsoleFiles.maxFileBytes, regularFileOnly: true) else { return nil }
        let file = File(bytes: bytes, etag: "\"" + ConsoleFiles.fnv1a(bytes) + "\"", contentType: MIMETypes.forPath(path))
        cache[path] = (mtime, Int(st.st_size), file)
        return file
    }

    /// FNV-1a 64-bit of the content, as 16 hex digits.
    static func fnv1a(_ bytes: [UInt8]) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
