import KernelCore
import KernelLoop
import KernelServices
import KernelStore

extension Kernel {
    /// Entity types of `entity.get` (contract).
    static let entityTypes = ["component", "component_version", "workflow", "workflow_run", "step_run", "connection", "action_log"]

    /// `entity.get {type, id}`: common metadata plus type-specific details.
    func registerEntityMethods() {
        dispatcher.register("entity.get", summary: "Any entity by type and id: type, id, name, created_at, updated_at and details.",
                            params: ["type": "object", "required": ["type", "id"], "properties": [
                                "type": ["type": "string", "enum": JSON(Kernel.entityTypes)],
                                "id": ["type": "string", "description": "component_version: <component_id>@<version>; step_run: <run_id>/<step_id>[/<attempt>]"]]]) { [unowned self] params, _ in
            try await self.entity(type: try params.string("type"), id: try params.string("id"))
        }
    }

    static func entityJSON(type: String, id: String, name: String, createdAt: Timestamp, updatedAt: Timestamp, details: JSON) -> JSON {
        ["type": .string(type), "id": .string(id), "name": .string(name), "created_at": createdAt.json,
         "updated_at": updatedAt.json, "details": details]
    }

    /// The API's entity ids, parsed here rather than in the store: `component_version` ids are
    /// `<component_id>@<version>`; `step_run` ids are `<run_id>/<step_id>` (latest attempt) or
    /// `<run_id>/<step_id>/<attempt>`.
    func entity(type: String, id: String) async throws -> JSON {
        let store = try requireStore()
        switch type {
        case "component":
            let c = try await store.component(id)
            return Kernel.entityJSON(type: type, id: c.id, name: c.name, createdAt: c.createdAt, updatedAt: c.updatedAt, details: c.json)
        case "component_version":
            guard let at = id.lastIndex(of: "@"), let v = Int(id[id.index(after: at)...]) else {
                throw KernelError.invalidParams("component_version ids are <component_id>@<version>",
                                                errors: [FieldError("id", "expected <component_id>@<version>")])
            }
            let cid = String(id[..<at])
            let version = try await store.componentVersion(cid, version: v)
            let c = try await store.component(cid)
            return Kernel.entityJSON(type: type, id: id, name: "\(c.name) v\(v)", createdAt: version.createdAt,
                                     updatedAt: version.createdAt, details: version.json)
        case "workflow":
            let w = try await store.workflow(id)
            return Kernel.entityJSON(type: type, id: w.id, name: w.name, createdAt: w.createdAt, updatedAt: w.updatedAt, details: w.json)
        case "workflow_run":
            let r = try await store.run(id)
            var details = r.json
            if case .object(var o) = details {
                o["steps"] = .array(try await store.stepRuns(runID: r.id).map(\.json))
                details = .object(o)
            }
            let updated = r.finishedAt ?? r.startedAt ?? r.createdAt
            return Kernel.entityJSON(type: type, id: r.id, name: "run of \(r.workflowID)", createdAt: r.createdAt,
                                     updatedAt: updated, details: details)
        case "step_run":
            let parts = id.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2 || parts.count == 3, let attempt = parts.count == 3 ? Int(parts[2]) : Optional(0) else {
                throw KernelError.invalidParams("step_run ids are <run_id>/<step_id>[/<attempt>]",
                                                errors: [FieldError("id", "expected <run_id>/<step_id>[/<attempt>]")])
            }
            let steps = try await store.stepRuns(runID: parts[0]).filter { $0.stepID == parts[1] && (attempt == 0 || $0.attempt == attempt) }
            guard let s = steps.max(by: { $0.attempt < $1.attempt }) else { throw KernelError.notFound("step run \(id) not found") }
            let created = s.startedAt ?? Timestamp(milliseconds: 0)
            return Kernel.entityJSON(type: type, id: "\(s.runID)/\(s.stepID)/\(s.attempt)", name: s.stepID, createdAt: created,
                                     updatedAt: s.finishedAt ?? created, details: s.json)
        case "connection":
            let c = try await store.connection(id)
            return Kernel.entityJSON(type: type, id: c.id, name: c.name, createdAt: c.createdAt, updatedAt: c.updatedAt, details: c.json)
        case "action_log":
            let a = try await store.actionLog(id: id)
            return Kernel.entityJSON(type: type, id: a.id, name: "\(a.actionType) \(a.entityType)", createdAt: a.at, updatedAt: a.at,
                                     details: a.json)
        default:
            throw KernelError.invalidParams("unknown entity type '\(type)'; valid types: \(Kernel.entityTypes.joined(separator: ", "))",
                                            errors: [FieldError("type", "must be one of \(Kernel.entityTypes.joined(separator: ", "))")])
        }
    }
}
