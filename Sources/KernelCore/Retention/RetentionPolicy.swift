/// What `MCPK_RETENTION` keeps (issue 16): `runs=30d,events=30d,artifacts=14d,blobs=1h`.
/// Every key is optional; the default keeps everything. Ages take `s`, `m`, `h` or `d`.
///
/// * `runs` — finished, unpinned runs older than this are deleted with their step rows and events.
/// * `events` — the events of finished, unpinned runs older than this are deleted (rows stay).
/// * `artifacts` — the artifact and work directories of finished, unpinned runs older than this.
/// * `blobs` — how old an unreferenced blob must be before it is deleted (default
///   `RetentionPolicy.defaultBlobGraceMilliseconds`): a value being stored for a running step is
///   not referenced by a row yet.
public struct RetentionPolicy: Sendable, Equatable {
    /// Unreferenced blobs younger than this are kept (a spool in flight): 1 h.
    public static let defaultBlobGraceMilliseconds: Int64 = 3_600_000
    public static let variable = "MCPK_RETENTION"

    public var runsMilliseconds: Int64?
    public var eventsMilliseconds: Int64?
    public var artifactsMilliseconds: Int64?
    public var blobGraceMilliseconds: Int64 = RetentionPolicy.defaultBlobGraceMilliseconds

    public init() {}

    /// Keeps everything.
    public var keepsEverything: Bool { runsMilliseconds == nil && eventsMilliseconds == nil && artifactsMilliseconds == nil }

    /// Parses `runs=30d,events=30d,artifacts=14d`; every problem is a field error, all at once.
    public static func parse(_ text: String) throws -> RetentionPolicy {
        var p = RetentionPolicy()
        var errors: [FieldError] = []
        for part in text.split(separator: ",") {
            let item = part.trimmingSpaces
            if item.isEmpty { continue }
            let kv = item.split(separator: "=", maxSplits: 1).map { String($0).trimmingSpaces }
            guard kv.count == 2 else { errors.append(FieldError(variable, "'\(item)' is not key=age")); continue }
            guard let ms = age(kv[1]) else {
                errors.append(FieldError("\(variable).\(kv[0])", "'\(kv[1])' is not an age such as 30d, 12h, 15m or 90s"))
                continue
            }
            switch kv[0] {
            case "runs": p.runsMilliseconds = ms
            case "events": p.eventsMilliseconds = ms
            case "artifacts": p.artifactsMilliseconds = ms
            case "blobs": p.blobGraceMilliseconds = ms
            default: errors.append(FieldError("\(variable).\(kv[0])", "unknown key (expected runs, events, artifacts or blobs)"))
            }
        }
        guard errors.isEmpty else { throw KernelError.invalidParams("\(variable) is malformed", errors: errors) }
        return p
    }

    static func age(_ s: String) -> Int64? {
        guard let unit = s.last else { return nil }
        let scale: Int64
        switch unit {
        case "s": scale = 1000
        case "m": scale = 60_000
        case "h": scale = 3_600_000
        case "d": scale = 86_400_000
        default: return nil
        }
        guard let n = Int64(s.dropLast()), n >= 0, n <= Int64.max / scale else { return nil }
        return n * scale
    }

    public var json: JSON {
        func ms(_ v: Int64?) -> JSON { v.map { .int($0) } ?? .null }
        return ["runs_ms": ms(runsMilliseconds), "events_ms": ms(eventsMilliseconds), "artifacts_ms": ms(artifactsMilliseconds),
                "blob_grace_ms": .int(blobGraceMilliseconds)]
    }
}

extension StringProtocol {
    fileprivate var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
