import Glibc
import KernelCore
import KernelLoop
import KernelServices
import KernelStore

extension Kernel {
    /// `dashboard.summary` and `dashboard.health`. Other areas add sections to
    /// health (plugins, sandbox) through `addStatus`: every status section is
    /// also reported by health.
    func registerDashboardMethods() {
        dispatcher.register("dashboard.summary", summary: "Active/queued runs, completed/failed today, totals, 7-day success rate, last 20 audit entries.",
                            params: ["type": "object", "properties": [:]]) { [unowned self] _, _ in
            try await self.requireStore().dashboardSummary(now: .now()).reply
        }
        dispatcher.register("dashboard.health", summary: "Store kind and latency, uptime, version, load, the step runtimes, and each service's section.",
                            params: ["type": "object", "properties": [:]]) { [unowned self] _, _ in
            await self.healthJSON()
        }
    }

    func healthJSON() async -> JSON {
        var o = JSONObject()
        var healthy = true
        var storeJSON = JSONObject()
        storeJSON["kind"] = .string(configuration.storeKind)
        if let store {
            do {
                let ms = try await store.ping()
                storeJSON["ok"] = true
                storeJSON["latency_ms"] = .double((ms * 1000).rounded() / 1000)
                if let pg = store as? PostgresStore {
                    storeJSON["pool"] = ["size": JSON(pg.postgres.poolSize), "open": JSON(pg.postgres.openConnections),
                                         "reconnects": JSON(pg.postgres.reconnects), "connect_failures": JSON(pg.postgres.connectFailures)]
                }
            } catch {
                healthy = false
                storeJSON["ok"] = false
                storeJSON["error"] = .string("\(error)")
            }
        } else {
            healthy = false
            storeJSON["ok"] = false
            storeJSON["error"] = "not open"
        }
        o["status"] = .string(healthy ? "ok" : "degraded")
        o["version"] = .string(Kernel.version)
        o["instance_id"] = .string(instanceID)
        o["started_at"] = startedAt.json
        o["uptime_seconds"] = .double(Double(Timestamp.now().milliseconds - startedAt.milliseconds) / 1000)
        o["store"] = .object(storeJSON)
        var load = [Double](repeating: 0, count: 3)
        if getloadavg(&load, 3) == 3 {
            o["load"] = ["1m": .double(load[0]), "5m": .double(load[1]), "15m": .double(load[2])]
        } else {
            o["load"] = .null
        }
        o["cpus"] = .int(Int64(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        // Every step runtime with its size on disk (kernel.status has only the last states).
        if stepRuntimes != nil {
            do { o["runtimes"] = try await runtimeStatusJSON() } catch { o["runtimes"] = ["error": .string("\(error)")] }
        }
        for (name, provider) in statusProviders where o[name] == nil { o[name] = provider() }
        // One shape with or without a plugin host (none: nothing loaded, failed or crashed).
        if o["plugins"] == nil { o["plugins"] = ["loaded": 0, "failed": 0, "crashed": 0] }
        if o["sandbox"] == nil { o["sandbox"] = .null }
        return .object(o)
    }
}
