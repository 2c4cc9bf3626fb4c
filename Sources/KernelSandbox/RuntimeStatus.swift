import KernelCore

/// One step runtime as `runtime.status` and `dashboard.health` report it.
public struct RuntimeStatus: Sendable, Equatable {
    /// Explicit state of a runtime.
    public enum State: String, Sendable {
        /// Not there (or an unfinished build): steps that need it install it or fail naming `mcpk runtime install`.
        case missing
        /// A build is running.
        case installing
        /// Present and built from the current pins.
        case ready
        /// Present but built from other pins than the repository's (`mcpk runtime install` rebuilds it).
        case stale
    }

    public var name: StepRuntimes.Name
    public var state: State
    /// Where it lives (the venv dir; node's executable).
    public var path: String
    /// Under `$MCPK_HOME/runtimes` (the kernel builds and collects it) rather than named by a setting.
    public var managed: Bool
    /// `python`, the reported packages (`nbclient`, `streamlit`, …); `node`, `esbuild`.
    public var versions: [String: String]
    public var sizeBytes: UInt64
    /// The pins file and its SHA-256 (python only).
    public var pinsFile: String?
    public var pinsSha256: String?
    /// The SHA-256 of the pins the present runtime was built from (its stamp).
    public var installedSha256: String?
    /// The last failed build's message (cleared by a successful one).
    public var lastError: String?

    public var present: Bool { state == .ready || state == .stale }

    public var json: JSON {
        var o = JSONObject()
        o["name"] = .string(name.rawValue)
        o["state"] = .string(state.rawValue)
        o["present"] = .bool(present)
        o["stale"] = .bool(state == .stale)
        o["path"] = .string(path)
        o["managed"] = .bool(managed)
        o["versions"] = .object(JSONObject(versions.sorted { $0.key < $1.key }.map { ($0.key, JSON.string($0.value)) }))
        o["size_bytes"] = .int(Int64(sizeBytes))
        o["pins"] = pinsFile == nil ? .null : ["file": JSON(pinsFile), "sha256": JSON(pinsSha256), "installed_sha256": JSON(installedSha256)]
        o["last_error"] = JSON(lastError)
        return .object(o)
    }
}
