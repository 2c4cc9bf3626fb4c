import KernelCore

/// The result of probing every isolation layer at start-up — what
/// `dashboard.health` shows. Each flag is true only if the layer was seen working.
public struct SandboxReport: Sendable, Equatable {
    public var mode: SandboxMode
    /// Steps may run (bubblewrap works, or the operator chose `none`).
    public var ready: Bool
    /// user, pid, mount, ipc, uts namespaces created by bwrap.
    public var namespaces: Bool
    public var seccomp: Bool
    /// "v1" / "v2" when a writable hierarchy with memory+pids is used, else nil.
    public var cgroups: String?
    public var rlimits: Bool
    public var noNewPrivs: Bool
    /// A step without `network: true` has no route out (own net namespace).
    public var networkIsolation: Bool
    public var bwrapVersion: String?
    public var problems: [String]

    public var json: JSON {
        var o = JSONObject()
        o["mode"] = .string(mode.rawValue)
        o["ready"] = .bool(ready)
        o["status"] = .string(mode == .none || !ready ? "red" : (cgroups == nil ? "yellow" : "green"))
        o["namespaces"] = .bool(namespaces)
        o["seccomp"] = .bool(seccomp)
        o["cgroups"] = cgroups.map { .string($0) } ?? .bool(false)
        o["rlimits"] = .bool(rlimits)
        o["no_new_privs"] = .bool(noNewPrivs)
        o["network_isolation"] = .bool(networkIsolation)
        o["bwrap_version"] = JSON(bwrapVersion)
        o["problems"] = JSON(problems)
        return .object(o)
    }
}
