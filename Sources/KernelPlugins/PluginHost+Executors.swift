import KernelCore
import KernelLoop
import MCPKPluginABI

/// Executor routing: which loaded plugin serves a component type, and leases
/// that pin it while a step runs.
///
/// Rule when several loaded executor plugins declare one component type: the
/// most recently loaded wins (an operator can override a bundled executor by
/// loading their own; unloading it falls back to the previous one).
extension PluginHost {
    /// Component type → name of the plugin that serves it now.
    public func executorRoutes() -> [String: String] {
        var out: [String: String] = [:]
        for e in servingEntries() {
            for t in e.backend?.metadata.componentTypes ?? [] where out[t] == nil { out[t] = e.name }
        }
        return out
    }

    /// The component types loaded executor plugins declare with a schema (ABI 1.2.0), the
    /// serving plugin's first: feed of `ComponentTypes` (creatable and runnable types).
    public func componentTypeDefinitions() -> [ComponentTypeDefinition] {
        let routes = executorRoutes()
        let entries = servingEntries()
        var out: [ComponentTypeDefinition] = []
        var served = Set<String>()
        for e in entries {
            for d in e.backend?.metadata.componentTypeDefinitions ?? [] where routes[d.name.rawValue] == e.name {
                out.append(d)
                served.insert(d.name.rawValue)
            }
        }
        // A type routed to a plugin that names it without declaring it (a 1.0.0/1.1.0 executor
        // overriding a declared type) keeps the declaration of the newest plugin that has one.
        for e in entries {
            for d in e.backend?.metadata.componentTypeDefinitions ?? [] where routes[d.name.rawValue] != nil && !served.contains(d.name.rawValue) {
                out.append(d)
                served.insert(d.name.rawValue)
            }
        }
        return out
    }

    /// Loaded executor entries, most recently loaded first.
    func servingEntries() -> [Entry] {
        entriesSnapshot().filter {
            guard $0.state == .loaded, let b = $0.backend, b.metadata.kinds.contains(.executor) else { return false }
            let c = b.executorCapabilities
            return c.plan || c.invoke
        }
            .sorted { $0.loadSequence > $1.loadSequence }
    }

    /// A lease on the plugin serving `type`, or nil if none does. The caller
    /// releases it when the step ends.
    public func executor(forType type: String) -> ExecutorLease? {
        guard let entry = servingEntries().first(where: { $0.backend?.metadata.componentTypes.contains(type) == true }),
              let backend = entry.backend else { return nil }
        // The lease keeps the entry (and so the retired backend) until it is released.
        let lease = ExecutorLease(plugin: entry.name, componentType: type, backend: backend) { [weak self] l in
            self?.leaseReleased(l, entry: entry)
        }
        entry.leases[ObjectIdentifier(lease)] = lease
        return lease
    }

    /// Number of leases held on a plugin (running steps).
    public func leaseCount(plugin: String) -> Int {
        entriesSnapshot().filter { $0.name == plugin }.reduce(0) { $0 + $1.leases.count }
    }
}
