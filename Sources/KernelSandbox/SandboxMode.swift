/// How steps are isolated. `none` exists only when the operator asks for it
/// explicitly (`MCPK_SANDBOX=none`); it keeps rlimits, no_new_privs, cgroups
/// and the timeout but has no namespaces and no seccomp, and health says so.
public enum SandboxMode: String, Sendable {
    case bubblewrap
    case none
}
