import KernelCore
import KernelEngine
import KernelServices
import KernelStore

extension Kernel {
    /// `cluster.status`: the kernels sharing this store (PostgreSQL: every kernel's heartbeat
    /// row; SQLite: this kernel alone).
    func registerClusterMethods() {
        dispatcher.register("cluster.status", summary: "The kernels sharing this store: id, host, version, last heartbeat, running steps, "
                                + "capacity, active runs, state and whether the heartbeat is recent (within one run lease).",
                            params: ["type": "object", "properties": [:], "additionalProperties": false]) { [unowned self] _, _ in
            try await self.clusterJSON()
        }
    }

    func clusterJSON() async throws -> JSON {
        let store = try requireStore()
        let engine = try requireEngine()
        let lease = engine.configuration.leaseMilliseconds
        let now = Timestamp.now()
        var kernels: [KernelRecord]
        let shared = engine.queue != nil
        if shared {
            kernels = try await store.kernels()
        } else {
            kernels = [KernelRecord(id: engine.configuration.owner, host: Kernel.hostName(), version: Kernel.version, startedAt: now,
                                    heartbeatAt: now, runningSteps: engine.runningStepCount,
                                    capacity: engine.configuration.maxConcurrentSteps, activeRuns: engine.activeRunCount, state: .running)]
        }
        // This kernel's own row is reported live, not as of its last heartbeat.
        if let i = kernels.firstIndex(where: { $0.id == engine.configuration.owner }) {
            kernels[i].runningSteps = engine.runningStepCount
            kernels[i].activeRuns = engine.activeRunCount
        }
        let items: [JSON] = kernels.map { k in
            ["id": .string(k.id), "host": .string(k.host), "version": .string(k.version), "started_at": k.startedAt.json,
             "last_heartbeat": k.heartbeatAt.json, "running_steps": JSON(k.runningSteps), "capacity": JSON(k.capacity),
             "active_runs": JSON(k.activeRuns), "state": .string(k.state.rawValue),
             "alive": .bool(k.state == .running && now.milliseconds - k.heartbeatAt.milliseconds < lease),
             "self": .bool(k.id == engine.configuration.owner)]
        }
        return ["shared_queue": .bool(shared), "store": .string(configuration.storeKind), "lease_ms": .int(lease),
                "kernels": .array(items)]
    }
}
