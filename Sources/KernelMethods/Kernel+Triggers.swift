import KernelCore
import KernelLoop
import KernelServices
import KernelStore

extension Kernel {
    /// The params of a trigger list (`schedule.list`, `webhook.list`): a page size and the cursor
    /// of the previous page.
    static let pageParams: JSON = ["type": "object", "properties": [
        "limit": ["type": "integer", "minimum": 1, "maximum": JSON(StoreLimits.maxPageSize)], "cursor": ["type": "string"]],
                                   "additionalProperties": false]

    /// The workflow a trigger (a schedule or a webhook) points at, with its pinned version, which
    /// must exist. Either missing is an `invalid_params` "invalid <kind>" naming the field.
    func triggerTarget(_ workflow: String, version: Int?, kind: String) async throws -> Workflow {
        let store = try requireStore()
        let w: Workflow
        do { w = try await store.workflow(workflow) } catch let e as KernelError where e.kind == .notFound {
            throw KernelError.invalidParams("invalid \(kind)", errors: [FieldError("workflow", "no workflow '\(workflow)'")])
        }
        if let version, version > w.latestVersion {
            throw KernelError.invalidParams("invalid \(kind)", errors: [FieldError("version", "workflow '\(w.name)' has no version \(version) (latest \(w.latestVersion))")])
        }
        return w
    }

    /// The errors of a trigger's `name` when given: a string, not blank, at most
    /// `Kernel.maxEntityNameLength` characters.
    static func triggerNameErrors(_ p: Params) -> [FieldError] {
        var errors: [FieldError] = []
        if let n = p.json["name"], !n.isNull {
            if let s = n.stringValue {
                let t = s.trimmingCharacters()
                if t.isEmpty { errors.append(FieldError("name", "must not be empty")) }
                if t.count > Kernel.maxEntityNameLength { errors.append(FieldError("name", "must be at most \(Kernel.maxEntityNameLength) characters")) }
            } else { errors.append(FieldError("name", "must be a string")) }
        }
        return errors
    }
}
