import KernelCore
import KernelDispatch
import KernelLoop
import KernelSandbox
import KernelServices
import KernelStore

extension Kernel {
    /// `runtime.status|install|gc`: the step runtimes the kernel provisions itself (`StepRuntimes`).
    func registerRuntimeMethods() {
        let names: JSON = .array(StepRuntimes.Name.allCases.map { .string($0.rawValue) })
        dispatcher.register("runtime.status", summary: "Every step runtime: state, present, stale, versions, size on disk, path, pins hash vs installed.",
                            params: ["type": "object", "properties": [:], "additionalProperties": false]) { [unowned self] _, _ in
            try await self.runtimeStatusJSON()
        }
        dispatcher.register("runtime.install", summary: "Builds the Python runtime venv (pinned PyPI packages) and checks the Node runtime, "
                            + "under $MCPK_HOME/runtimes; a socket caller gets runtime.event notifications (log, progress).",
                            params: ["type": "object", "properties": [
                                "name": ["type": "string", "enum": names, "description": "One runtime; all when absent."],
                                "force": ["type": "boolean", "description": "Rebuild a runtime that is up to date."],
                                "wait": ["type": "boolean", "description": "false: start the build and answer at once (default true)."],
                            ], "additionalProperties": false]) { [unowned self] params, ctx in
            let runtimes = try self.requireStepRuntimes()
            let selected = try Kernel.runtimeNames(params)
            let force = try params.optionalBool("force") ?? false
            let wait = try params.optionalBool("wait") ?? true
            let notify: @KernelActor (StepRuntimes.Name, StepEvent) -> Void = { [weak session = ctx.session] name, e in
                _ = session?.notify("runtime.event", ["runtime": .string(name.rawValue), "event": e.json])
            }
            await self.appendRuntimeAudit(ctx, action: "runtime.install", entityID: selected.map(\.rawValue).joined(separator: ","),
                                          details: ["names": JSON(selected.map(\.rawValue)), "force": .bool(force)])
            let work = { @KernelActor () async throws -> [RuntimeStatus] in
                var out: [RuntimeStatus] = []
                for name in selected {
                    out.append(try await runtimes.install(name, force: force, onEvent: { e in notify(name, e) }))
                }
                return out
            }
            guard wait else {
                Task { @KernelActor [logger] in
                    do { _ = try await work() } catch { logger.warning("runtime install failed", metadata: ["error": "\(error)"]) }
                }
                // The build registered itself before the first suspension: the status says `installing`.
                await Task.yield()
                return try await self.runtimeStatusJSON()
            }
            return ["items": .array(try await work().map(\.json)), "next_cursor": .null]
        }
        dispatcher.register("runtime.gc", summary: "Removes per-component requirement venvs no component version references, unfinished builds "
                            + "and a stale Python runtime under $MCPK_HOME/runtimes (dry_run: only lists them).",
                            params: ["type": "object", "properties": [
                                "dry_run": ["type": "boolean", "description": "List what would be removed; remove nothing."],
                            ], "additionalProperties": false]) { [unowned self] params, ctx in
            let runtimes = try self.requireStepRuntimes()
            let dryRun = try params.optionalBool("dry_run") ?? false
            let (keys, repositories) = try await self.referencedRequirements()
            let result = try await runtimes.collect(referencedKeys: keys, repositories: repositories, dryRun: dryRun)
            if !dryRun {
                await self.appendRuntimeAudit(ctx, action: "runtime.gc", entityID: "gc", details: ["removed": JSON(result.removed.map(\.path)),
                                                                                   "freed_bytes": .int(Int64(result.removed.reduce(0) { $0 + $1.sizeBytes }))])
            }
            return result.json
        }
    }

    /// The runtimes or `unavailable` (no executor plugins, so no process steps).
    func requireStepRuntimes() throws -> StepRuntimes {
        guard let stepRuntimes else { throw KernelError.unavailable("step runtimes are not set up (the plugin host is not running)") }
        return stepRuntimes
    }

    /// `name` as a list of runtimes (all when absent).
    static func runtimeNames(_ params: Params) throws -> [StepRuntimes.Name] {
        guard let raw = try params.optionalString("name") else { return StepRuntimes.Name.allCases }
        guard let name = StepRuntimes.Name(rawValue: raw) else {
            throw KernelError.invalidParams("invalid params", errors: [FieldError("name", "must be one of "
                + StepRuntimes.Name.allCases.map(\.rawValue).joined(separator: ", ") + " (got '\(raw)')")])
        }
        return [name]
    }

    /// `{items, next_cursor, auto_install, pip_cache, runtimes_dir}`, sizes walked off the loop.
    func runtimeStatusJSON() async throws -> JSON {
        let runtimes = try requireStepRuntimes()
        let items = try await runtimes.status()
        return ["items": .array(items.map(\.json)), "next_cursor": .null, "auto_install": .bool(runtimes.autoInstall),
                "pip_cache": .string(runtimes.sandbox.configuration.pipCacheDirectory), "runtimes_dir": .string(runtimes.runtimesDirectory)]
    }

    /// The venv keys of every component version's `requirements`, and every version's `gitRepoUrl`.
    func referencedRequirements() async throws -> (Set<String>, Set<String>) {
        let store = try requireStore()
        var keys = Set<String>(), repositories = Set<String>()
        var cursor: String?
        repeat {
            let page = try await store.listComponents(ComponentQuery(limit: StoreLimits.maxPageSize, cursor: cursor))
            for c in page.items {
                for v in try await store.componentVersions(c.id) {
                    let requirements = ProcessPlan.requirementList(v.config["requirements"])
                    if !requirements.isEmpty { keys.insert(PythonEnvironments.key(for: requirements)) }
                    if let url = v.config["gitRepoUrl"]?.stringValue, !url.isEmpty { repositories.insert(url) }
                }
            }
            cursor = page.nextCursor
        } while cursor != nil
        return (keys, repositories)
    }

    private func appendRuntimeAudit(_ ctx: CallContext, action: String, entityID: String, details: JSON) async {
        guard let store else { return }
        do {
            try await store.appendAudit(auditEntry(ctx, action: action, entityType: "runtime", entityID: entityID, details: details))
        } catch {
            logger.warning("runtime audit entry not written", metadata: ["action": "\(action)", "error": "\(error)"])
        }
    }
}
