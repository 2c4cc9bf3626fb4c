import CKernelSupport
import Glibc
import KernelCore
import KernelLoop
import KernelServices

extension Kernel {
    /// Longest delay `kernel.ping` accepts.
    public static let maxPingDelayMs = 10_000

    /// Registers every control method. Each area adds one line here.
    package func registerMethods() {
        registerKernelMethods()
        registerConnectionMethods()
        registerPluginMethods()
        registerConnectionRuntimeMethods()
        registerDashboardMethods()
        registerDashboardInsightsMethods()
        registerAssistantMethods()
        registerEntityMethods()
        registerAuditMethods()
        registerComponentMethods()
        registerComponentTypeMethods()
        registerWorkflowMethods()
        registerRunMethods()
        registerWorkspaceValueMethods()
        registerRuntimeMethods()
        registerWebhookMethods()
        registerScheduleMethods()
        registerMCPMethods()
        registerClusterMethods()
    }

    func registerKernelMethods() {
        dispatcher.registerSync("kernel.status", summary: "Kernel version, process, uptime, store, plugin dirs, addresses and connection count.",
                                params: ["type": "object", "properties": [:], "additionalProperties": false]) { [unowned self] _, _ in
            self.statusJSON()
        }
        dispatcher.register("kernel.shutdown", summary: "Stops the kernel gracefully after answering.",
                            params: ["type": "object", "properties": [:], "additionalProperties": false]) { [unowned self] _, ctx in
            self.logger.info("shutdown requested", metadata: ["actor": "\(ctx.actor)"])
            // Answer first: the reply is queued before the transports drain.
            Task { @KernelActor in await self.shutdown() }
            return ["stopping": true]
        }
        dispatcher.register("kernel.ping", summary: "Echoes `echo` after `delay_ms` (0–10000) on the loop's timer: a liveness and latency probe.",
                            params: ["type": "object", "properties": [
                                "echo": ["description": "Any JSON value, returned as is."],
                                "delay_ms": ["type": "integer", "minimum": 0, "maximum": .int(Int64(Kernel.maxPingDelayMs))],
                            ], "additionalProperties": false]) { p, _ in
            let delay = try p.optionalInt("delay_ms") ?? 0  // 0…maxPingDelayMs: the params schema
            if delay > 0 {
                await withCheckedContinuation { (cont: CheckedContinuation<Void, Never>) in
                    do {
                        try Timer.after(loop: KernelRuntime.loop, ms: UInt64(delay)) { cont.resume() }
                    } catch {
                        cont.resume()
                    }
                }
            }
            return ["pong": true, "echo": p.value("echo") ?? .null]
        }
        dispatcher.registerSync("rpc.discover", summary: "Every registered method with a one-line summary, its params schema and its reply schema.",
                                params: ["type": "object", "properties": [:], "additionalProperties": false]) { [unowned self] _, _ in
            let methods: [JSON] = self.dispatcher.methods.map {
                ["name": .string($0.name), "summary": .string($0.summary), "params": $0.params, "reply": $0.reply ?? .null]
            }
            return ["jsonrpc": "2.0", "version": .string(Kernel.version), "methods": .array(methods)]
        }
    }

    /// Resident set size, re-read from /proc at most once per `rssRefreshMs`.
    func residentBytes(now: Timestamp) -> UInt64 {
        if now.milliseconds - rssReadAt.milliseconds >= Kernel.rssRefreshMs || rssCached == 0 {
            rssCached = mcpk_resident_bytes()
            rssReadAt = now
        }
        return rssCached
    }

    /// Keys `statusJSON` writes before the providers' sections.
    static let statusBaseKeyCount = 14

    func statusJSON() -> JSON {
        let now = Timestamp.now()
        var o = JSONObject()
        o.reserveCapacity(Kernel.statusBaseKeyCount + statusProviders.count)
        let fixed = statusFixed
        o["version"] = .string(Kernel.version)
        o["pid"] = fixed.pid
        o["instance_id"] = .string(instanceID)
        o["phase"] = .string(phase.rawValue)
        o["started_at"] = fixed.startedAt
        o["uptime_seconds"] = .double(Double(now.milliseconds - startedAt.milliseconds) / 1000)
        o["startup_ms"] = .double(startupMilliseconds)
        o["store"] = fixed.store
        o["home"] = fixed.home
        o["plugin_dirs"] = fixed.pluginDirs
        o["socket"] = fixed.socket
        o["http"] = fixed.http
        o["connections"] = ["socket": .int(Int64(control?.connectionCount ?? 0))]
        o["rss_bytes"] = .int(Int64(residentBytes(now: now)))
        for (name, provider) in statusProviders { o[name] = provider() }
        return .object(o)
    }
}
