import KernelCore
import KernelLoop
import KernelStore

extension Kernel {
    /// `entity.get {type, id}`: common metadata plus type-specific details.
    func registerEntityMethods() {
        dispatcher.register("entity.get", summary: "Any entity by type and id: type, id, name, created_at, updated_at and details.",
                            params: ["type": "object", "required": ["type", "id"], "properties": [
                                "type": ["type": "string", "enum": JSON(SQLStore.entityTypes)],
                                "id": ["type": "string", "description": "component_version: <component_id>@<version>; step_run: <run_id>/<step_id>[/<attempt>]"]]]) { [unowned self] params, _ in
            try await self.requireStore().entity(type: try params.string("type"), id: try params.string("id"))
        }
    }
}
