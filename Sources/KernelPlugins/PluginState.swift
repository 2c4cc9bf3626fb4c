/// Life cycle of one plugin entry in the host.
///
/// ```
/// discovered ─load─▶ loaded ─unload─▶ unloaded
///      │               │  ▲
///      └─fail─▶ failed  crash (process isolation)
///                      ▼  │ restart after backoff
///                    crashed
///
/// discovered ─(an ADBC driver, not a plugin)─▶ adbc_driver
/// ```
public enum PluginState: String, Sendable {
    case loaded
    case failed
    case crashed
    case unloaded
    /// An ADBC driver library: listed, not loaded; connections use the `adbc` plugin.
    case adbcDriver = "adbc_driver"

    /// Loaded (or crashed and restarting): the entry owns a plugin name.
    var isActive: Bool { self == .loaded || self == .crashed }
}
