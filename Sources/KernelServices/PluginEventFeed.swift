import KernelCore
import KernelLoop

/// Fans plugin-level events (`mcpk_host.emit_event`) out to live subscribers
/// (`events.subscribe` sessions get them as `plugin.event` notifications). On the loop.
@KernelActor
public final class PluginEventFeed {
    public typealias Listener = @KernelActor (_ plugin: String, _ type: String, _ payload: JSON) -> Void

    /// A listener's token, for a listener that removes itself (set after `add` returns). On the loop.
    @KernelActor
    public final class TokenBox {
        public var value: Int?
        public init() {}
    }

    private var listeners: [Int: Listener] = [:]
    private var next = 0

    public init() {}

    /// Adds a listener; the token removes it.
    public func add(_ listener: @escaping Listener) -> Int {
        next += 1
        listeners[next] = listener
        return next
    }

    public func remove(_ token: Int) { listeners[token] = nil }

    public func publish(plugin: String, type: String, payload: JSON) {
        for (_, l) in listeners.sorted(by: { $0.key < $1.key }) { l(plugin, type, payload) }
    }
}
