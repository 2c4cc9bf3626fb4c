import KernelCore
import KernelDispatch
import KernelLoop
import KernelPlugins
import KernelServices

extension Kernel {
    /// `plugin.list|load|unload|reload|call`.
    func registerPluginMethods() {
        dispatcher.register("plugin.list", summary: "Every plugin: name, version, kinds, ABI, path, isolation, state, load error, crashes.",
                            params: ["type": "object", "properties": [:]]) { [unowned self] _, _ in
            ["items": .array(try self.requirePlugins().list().map(\.json)), "next_cursor": .null]
        }
        dispatcher.register("plugin.load", summary: "Loads a plugin library (drop-in); a broken one is refused with its reason.",
                            params: ["type": "object", "required": ["path"], "properties": [
                                "path": ["type": "string", "description": "absolute path of the .so"],
                                "isolation": ["type": "string", "enum": ["in-process", "process"]]]]) { [unowned self] params, ctx in
            let path = try params.string("path")
            guard path.hasPrefix("/") else {
                throw KernelError.invalidParams("invalid params", errors: [FieldError("path", "must be an absolute path")])
            }
            var isolation: PluginIsolation?
            if let i = try params.optionalString("isolation") {
                guard let v = PluginIsolation(rawValue: i) else {
                    throw KernelError.invalidParams("invalid params", errors: [FieldError("isolation", "must be in-process or process")])
                }
                isolation = v
            }
            let host = try self.requirePlugins()
            do {
                let info = try await host.load(path: path, isolation: isolation)
                await self.auditPlugin(ctx, action: "plugin.load", info: info)
                // Loaded again by the operator: discovered at the next start too.
                do { try UnloadedPlugins(home: self.configuration.home).remove(path) } catch {
                    self.logger.warning("cannot update the record of unloaded plugins", metadata: ["error": "\(error)"])
                }
                return info.json
            } catch {
                await self.auditRefusedLoad(ctx, action: "plugin.load", path: path, isolation: isolation, error: error)
                throw error
            }
        }
        dispatcher.register("plugin.unload", summary: "Unloads a plugin; closes its idle connections, refuses while one is busy (a statement runs on it) unless force.",
                            params: Kernel.pluginByNameParams) { [unowned self] params, ctx in
            let (name, force, host, before) = try await self.preparePluginUnload(params)
            try await host.unload(name: name, force: force)
            // Stays unloaded across a restart until plugin.load loads it again.
            if let before { try UnloadedPlugins(home: self.configuration.home).add(before.path) }
            if let before { await self.auditPlugin(ctx, action: "plugin.unload", info: before, extra: JSONObject([("force", .bool(force))])) }
            return ["unloaded": true, "name": .string(name)]
        }
        dispatcher.register("plugin.reload", summary: "Unloads and loads a plugin again from its path.",
                            params: Kernel.pluginByNameParams) { [unowned self] params, ctx in
            let (name, force, host, before) = try await self.preparePluginUnload(params)
            do {
                let info = try await host.reload(name: name, force: force)
                await self.auditPlugin(ctx, action: "plugin.reload", info: info, extra: JSONObject([("force", .bool(force))]))
                return info.json
            } catch {
                // Only a reload that got as far as loading again (the old library is
                // gone) is audited as refused; a refused unload changed nothing.
                if let before, host.info(name: name)?.state != .loaded {
                    await self.auditRefusedLoad(ctx, action: "plugin.reload", path: before.path, isolation: before.isolation,
                                                error: error, extra: JSONObject([("force", .bool(force)), ("name", .string(name))]))
                }
                throw error
            }
        }
        dispatcher.register("plugin.call", summary: "Calls a plugin's extra operation through libffi.",
                            params: ["type": "object", "required": ["plugin", "op"], "properties": [
                                "plugin": ["type": "string"], "op": ["type": "string"],
                                "args": ["type": "array", "description": "arguments matching the op's signature"]]]) { [unowned self] params, _ in
            let result = try await self.requirePlugins().call(plugin: try params.string("plugin"), op: try params.string("op"),
                                                               args: try params.optionalArray("args") ?? [])
            return ["result": result]
        }
    }
}

extension Kernel {
    /// The params of `plugin.unload` and `plugin.reload`.
    static let pluginByNameParams: JSON = ["type": "object", "required": ["name"], "properties": [
        "name": ["type": "string"], "force": ["type": "boolean"]]]

    /// What `plugin.unload` and `plugin.reload` start from: the name, `force`, the host and the
    /// plugin's entry before the change. With `force` the plugin's connections are closed first.
    func preparePluginUnload(_ params: Params) async throws -> (name: String, force: Bool, host: PluginHost, before: PluginInfo?) {
        let name = try params.string("name")
        let force = try params.optionalBool("force") ?? false
        let host = try requirePlugins()
        let before = host.info(name: name)
        if force { await connectionRuntime?.closeAll(plugin: name) }
        return (name, force, host, before)
    }

    /// The audit details of a plugin life-cycle action: what was (un)loaded.
    static func pluginAuditDetails(_ info: PluginInfo, extra: JSONObject = JSONObject()) -> JSON {
        var d = extra
        d["path"] = .string(info.path)
        d["isolation"] = .string(info.isolation.rawValue)
        d["kinds"] = JSON(info.metadata?.kinds.names ?? [])
        d["component_types"] = JSON(info.metadata?.componentTypes ?? [])
        d["abi"] = JSON(info.metadata.map { PluginABI.describe($0.abiVersion) })
        d["version"] = JSON(info.metadata?.version)
        d["outcome"] = .string(info.state == .failed ? "refused" : "ok")
        if let e = info.loadError { d["load_error"] = e.json }
        return .object(d)
    }

    /// One audit row per plugin action (no store change goes with it, so no
    /// transaction to share). A failed audit write is logged, never fatal.
    func auditPlugin(_ ctx: CallContext, action: String, info: PluginInfo, extra: JSONObject = JSONObject()) async {
        await appendPluginAudit(auditEntry(ctx, action: action, entityType: "plugin", entityID: info.name,
                                           details: Kernel.pluginAuditDetails(info, extra: extra)))
    }

    /// A refused load: the host recorded a `failed` entry for the path (with its
    /// reason) unless the refusal came earlier (duplicate name, missing host).
    func auditRefusedLoad(_ ctx: CallContext, action: String, path: String, isolation: PluginIsolation?, error: any Error,
                          extra: JSONObject = JSONObject()) async {
        var extra = extra
        extra["error"] = .string((error as? KernelError)?.message ?? "\(error)")
        if let failed = plugins?.list().first(where: { $0.path == path && $0.state == .failed }) {
            await auditPlugin(ctx, action: action, info: failed, extra: extra)
            return
        }
        var d = extra
        d["path"] = .string(path)
        d["isolation"] = JSON(isolation?.rawValue)
        d["outcome"] = .string("refused")
        let name = extra["name"]?.stringValue ?? String(path.split(separator: "/").last ?? Substring(path))
        await appendPluginAudit(auditEntry(ctx, action: action, entityType: "plugin", entityID: name, details: .object(d)))
    }

    private func appendPluginAudit(_ entry: ActionLog) async {
        guard let store else { return }
        do { try await store.appendAudit(entry) } catch {
            logger.warning("plugin audit entry not written", metadata: ["action": "\(entry.actionType)", "error": "\(error)"])
        }
    }
}
