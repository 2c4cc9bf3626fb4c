/// Life cycle of one plugin entry in the host.
///
/// ```
/// discovered ─load─▶ loaded ─unload─▶ unloaded
///      │               │  ▲
///      └─fail─▶ failed  crash (process isolation)
///                      ▼  │ restart after backoff
///                    crashed
/// ```
public enum PluginState: String, Sendable {
    case loaded
    case failed
    case crashed
    case unloaded
}
