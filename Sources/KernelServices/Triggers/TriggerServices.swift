import KernelCore
import KernelLoop
import KernelStore
import KernelTransport

/// The kernel's state for the entry points beyond `workflow.run` (webhooks, schedules, the MCP
/// server): one object so `Kernel` holds it in one property.
@KernelActor
package final class TriggerServices {
    package let webhookLimiter = WebhookRateLimiter()
    package let zones = TimeZoneDatabase()
    package var scheduler: Scheduler?
    var mcp: MCPServer?

    init() {}
}

extension Kernel {
    /// The store's trigger tables (webhooks, schedules), or `unavailable` for a store without them.
    package func requireTriggerStore() throws -> any TriggerStore {
        guard let s = try requireStore() as? any TriggerStore else {
            throw KernelError.unavailable("this store does not keep triggers")
        }
        return s
    }

    /// Wires the shim's trigger routes (`/hooks/{id}`, `/mcp`) to their handlers.
    package func installTriggerRoutes(_ api: HTTPAPI) {
        api.webhookHandler = { [unowned self] request, id, requestID in
            await self.deliverWebhook(request, id: id, requestID: requestID)
        }
        api.mcpHandler = { [unowned self] request, requestID in
            await self.handleMCPHTTP(request, requestID: requestID)
        }
    }
}

extension Kernel {
    /// Starts the scheduler once the engine runs (called by `start()` after `startEngine`);
    /// stopped before the engine in shutdown.
    package func startTriggers() async throws {
        let store = try requireStore()
        guard let triggerStore = store as? any TriggerStore else { return }
        let engine = try requireEngine()
        let scheduler = Scheduler(store: triggerStore, runs: store, engine: engine, zones: triggers.zones,
                                  owner: engine.configuration.owner, logger: logger)
        if let raw = configuration.settings[Scheduler.lateToleranceVariable] {
            guard let n = Int64(raw), n >= 0 else {
                throw KernelError.invalidParams("\(Scheduler.lateToleranceVariable) must be a non-negative integer of seconds (got '\(raw)')")
            }
            scheduler.lateToleranceSeconds = n
        }
        try scheduler.start()
        triggers.scheduler = scheduler
        addStatus("scheduler") { [weak scheduler] in scheduler?.statusJSON ?? .null }
        onShutdown("scheduler") { [weak self] in
            await self?.triggers.scheduler?.stop()
            self?.triggers.scheduler = nil
        }
    }
}
