/// The one table of content types by file extension: the console's files, artifact downloads
/// (`Content-Type`, with the charset of text types) and the `mime` of artifacts in run events
/// and `run.artifacts` (the media type alone).
public enum MIMETypes {
    public static let fallback = "application/octet-stream"

    /// Extension → media type; `textual` ones are served with `; charset=utf-8`.
    public static let byExtension: [String: (type: String, textual: Bool)] = [
        "html": ("text/html", true), "htm": ("text/html", true), "css": ("text/css", true),
        "js": ("text/javascript", true), "mjs": ("text/javascript", true), "json": ("application/json", true),
        "map": ("application/json", true), "txt": ("text/plain", true), "log": ("text/plain", true),
        "md": ("text/markdown", true), "csv": ("text/csv", true),
        "xml": ("application/xml", false), "svg": ("image/svg+xml", false), "png": ("image/png", false),
        "jpg": ("image/jpeg", false), "jpeg": ("image/jpeg", false), "gif": ("image/gif", false),
        "webp": ("image/webp", false), "ico": ("image/x-icon", false), "woff": ("font/woff", false),
        "woff2": ("font/woff2", false), "ttf": ("font/ttf", false), "otf": ("font/otf", false),
        "wasm": ("application/wasm", false), "pdf": ("application/pdf", false), "zip": ("application/zip", false),
        "gz": ("application/gzip", false), "ipynb": ("application/x-ipynb+json", false),
        "parquet": ("application/vnd.apache.parquet", false), "arrows": ("application/vnd.apache.arrow.stream", false),
        "yaml": ("application/yaml", false), "yml": ("application/yaml", false),
        "webmanifest": ("application/manifest+json", false),
    ]

    /// The `Content-Type` header value for a file name or path (`text/csv; charset=utf-8`).
    public static func forPath(_ path: String) -> String {
        guard let entry = entry(path) else { return fallback }
        return entry.textual ? entry.type + "; charset=utf-8" : entry.type
    }

    /// The media type alone (`text/csv`): an artifact's `mime`.
    public static func mediaType(forPath path: String) -> String {
        entry(path)?.type ?? fallback
    }

    private static func entry(_ path: String) -> (type: String, textual: Bool)? {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return nil }
        return byExtension[name[name.index(after: dot)...].lowercased()]
    }
}
