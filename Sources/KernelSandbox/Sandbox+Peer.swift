extension Sandbox {
    /// The bubblewrap command line a step's process gets (`bwrapArguments`: the same namespaces,
    /// binds and private /etc, without the seccomp filter and the sh/prlimit/setpriv links of
    /// the chain), with `work` prepared like a step's work dir. For benchmarks that compare a
    /// step with a bare `bwrap … python3 -c pass` spawn (bench/engine).
    public func peerBwrapCommand(work: String, executable: String, arguments: [String]) throws -> [String] {
        let spec = StepSpec(runId: "peer", stepId: "peer", executable: executable, arguments: arguments)
        try prepareWorkDirectory(work, spec: spec)
        return [configuration.bwrapPath] + bwrapArguments(spec, work: work, seccompFd: -1)
    }
}
