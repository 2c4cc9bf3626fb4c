import KernelCore
import KernelEngine
import KernelStore

extension Kernel {
    /// The retention sweeper of this kernel's store (`MCPK_RETENTION`; `kernel.gc` runs it by
    /// hand whatever the policy). Stopped with the engine.
    func startRetention(_ engine: RunEngine, store: any Store) throws {
        guard let sql = store as? SQLStore else { return }
        let sweeper = RetentionSweeper(policy: try configuration.retentionPolicy(), store: sql, values: engine.values,
                                       home: configuration.home, actor: "kernel:" + engine.configuration.owner, logger: logger)
        engine.retention = sweeper
        sweeper.start()
        addStatus("retention") { [weak sweeper] in
            guard let sweeper else { return .null }
            return ["policy": sweeper.policy.json, "keeps_everything": .bool(sweeper.policy.keepsEverything), "last_sweep": sweeper.lastSummary]
        }
        onShutdown("retention") { [weak sweeper] in sweeper?.stop() }
    }

    /// `kernel.gc` and `run.pin`.
    package func registerRetentionMethods() {
        dispatcher.register("kernel.gc", summary: "Applies the retention policy now (MCPK_RETENTION): deletes old finished, unpinned runs with their "
                                + "step rows and events, old events, artifact dirs and unreferenced blobs; dry_run only counts. Returns a summary.",
                            params: ["type": "object", "properties": ["dry_run": ["type": "boolean"]]]) { [unowned self] p, _ in
            guard let sweeper = try self.requireEngine().retention else {
                throw KernelError.unavailable("retention needs the SQL store")
            }
            return try await sweeper.sweep(dryRun: try p.optionalBool("dry_run") ?? false)
        }

        dispatcher.register("run.pin", summary: "Pins (or unpins) a run: retention never deletes a pinned run, its events, artifacts or blobs.",
                            params: ["type": "object", "required": ["id", "pinned"], "properties": [
                                "id": ["type": "string"], "pinned": ["type": "boolean"]]]) { [unowned self] p, ctx in
            guard let store = try self.requireStore() as? SQLStore else { throw KernelError.unavailable("pins need the SQL store") }
            let id = try p.string("id")
            let pinned = try p.optionalBool("pinned") ?? true
            try await store.setPin(id, pinned: pinned, audit: self.auditEntry(ctx, action: pinned ? "run.pin" : "run.unpin", entityType: "workflow_run", entityID: id))
            return ["id": .string(id), "pinned": .bool(pinned)]
        }
    }
}
