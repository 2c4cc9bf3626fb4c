import Glibc

/// How a `PluginHost` finds and runs plugins.
public struct PluginHostConfiguration: Sendable {
    /// Directories scanned for `*.so` at start-up (non-recursive), in order.
    public var directories: [String]
    /// Isolation for plugins without an override.
    public var defaultIsolation: PluginIsolation
    /// Per-plugin-file isolation, keyed by file name without `lib` and `.so`
    /// (e.g. "mcpk-postgres") or by plugin name.
    public var isolationOverrides: [String: PluginIsolation]
    /// The command starting a plugin-host child, without `--path`:
    /// by default this executable with the hidden `plugin-host` subcommand.
    public var childCommand: [String]
    /// Library paths `discover()` skips because the operator unloaded them (until loaded again).
    public var unloadedPaths: Set<String> = []
    /// Library file names (without `lib` and `.so`) that `discover()` skips:
    /// test and example fixtures that are built with the kernel but are no
    /// part of a production kernel. They load only when asked for by path
    /// (`plugin.load`, `PluginHost.load(path:)`).
    public var fixtureLibraries: Set<String>
    /// Where libraries are copied before loading (`PluginLibraryCopy`: the kernel's
    /// `$MCPK_HOME/plugin-cache`), or nil to load the original path (tests of the host alone).
    public var libraryCache: String?

    /// The fixtures built with the kernel: `mcpk-testops` (the libffi ops and
    /// connector example of docs/PLUGINS.md, used by the tests).
    public static let bundledFixtures: Set<String> = ["mcpk-testops"]

    public init(directories: [String], defaultIsolation: PluginIsolation = .inProcess,
                isolationOverrides: [String: PluginIsolation] = [:], childCommand: [String]? = nil,
                fixtureLibraries: Set<String> = PluginHostConfiguration.bundledFixtures) {
        self.directories = directories
        self.defaultIsolation = defaultIsolation
        self.isolationOverrides = isolationOverrides
        self.fixtureLibraries = fixtureLibraries
        self.childCommand = childCommand ?? [PluginHostConfiguration.currentExecutable(), "plugin-host"]
    }

    static func currentExecutable() -> String {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buf, Int(PATH_MAX))
        return n > 0 ? String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
    }

    /// Backoff before restarting a crashed plugin-host child: base doubling up to max.
    public static let restartBackoffBaseMs: UInt64 = 200
    public static let restartBackoffMaxMs: UInt64 = 30_000
    /// A child that ran at least this long before crashing restarts from the base delay.
    public static let stableRunMs: Int64 = 30_000
    /// A forced unload of an executor plugin waits this long for the steps it
    /// cancelled to give their leases back before unloading anyway (the library
    /// itself stays mapped until the last lease is released).
    public static let executorDrainMs: UInt64 = 5_000
    public static let executorDrainPollMs: UInt64 = 20
}
