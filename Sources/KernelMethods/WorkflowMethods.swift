import KernelCore
import KernelDispatch
import KernelLoop
import KernelServices
import KernelStore

/// `workflow.*` control methods (issue 3): versioned DAG definitions,
/// validated against the component catalogue.
extension Kernel {
    /// Keys of a definition accepted at the top level of create/update/validate params.
    static let definitionKeys = ["inputs", "steps", "outputs", "concurrency", "expose"]

    func registerWorkflowMethods() {
        let idOnly: JSON = ["type": "object", "properties": ["id": ["type": "string", "description": "Workflow id or name."]],
                            "required": ["id"], "additionalProperties": false]
        dispatcher.register("workflow.create", summary: "Creates a workflow (version 1) after validating its definition.",
                            params: Kernel.workflowParamsSchema(mode: .create)) { [unowned self] p, ctx in
            try await self.createWorkflow(p, ctx)
        }
        dispatcher.register("workflow.get", summary: "A workflow with its latest (or the given) definition version.",
                            params: ["type": "object", "properties": ["id": ["type": "string"], "version": ["type": "integer", "minimum": 1]],
                                     "required": ["id"], "additionalProperties": false]) { [unowned self] p, _ in
            let store = try self.requireStore()
            let w = try await store.workflow(try Kernel.requiredName(p, "id"))
            let v = try await store.workflowVersion(w.id, version: try p.optionalInt("version", in: 1...Int(Int32.max)))
            return Kernel.workflowJSON(w, v)
        }
        dispatcher.register("workflow.list", summary: "Workflows, filtered by text, with cursor pagination.",
                            params: ["type": "object", "properties": [
                                "q": ["type": "string"], "limit": ["type": "integer", "minimum": 1, "maximum": JSON(StoreLimits.maxPageSize)],
                                "cursor": ["type": "string"]], "additionalProperties": false]) { [unowned self] p, _ in
            let store = try self.requireStore()
            let page = try await store.listWorkflows(WorkflowQuery(q: try p.optionalString("q"),
                                                                   limit: try p.optionalInt("limit", in: 1...StoreLimits.maxPageSize),
                                                                   cursor: try p.optionalString("cursor")))
            return ["items": .array(page.items.map(\.json)), "next_cursor": JSON(page.nextCursor)]
        }
        dispatcher.register("workflow.update", summary: "Changes name/description; a changed definition appends a version.",
                            params: Kernel.workflowParamsSchema(mode: .update)) { [unowned self] p, ctx in
            try await self.updateWorkflow(p, ctx)
        }
        dispatcher.register("workflow.delete", summary: "Deletes a workflow.", params: idOnly) { [unowned self] p, ctx in
            let store = try self.requireStore()
            let w = try await store.workflow(try Kernel.requiredName(p, "id"))
            try await store.deleteWorkflow(id: w.id, audit: self.auditEntry(ctx, action: "workflow.delete", entityType: "workflow", entityID: w.id, details: ["name": .string(w.name)]))
            return ["id": .string(w.id), "deleted": true]
        }
        dispatcher.register("workflow.versions", summary: "Every immutable definition version of a workflow, oldest first.",
                            params: idOnly) { [unowned self] p, _ in
            let store = try self.requireStore()
            let w = try await store.workflow(try Kernel.requiredName(p, "id"))
            return ["workflow_id": .string(w.id), "items": .array(try await store.workflowVersions(w.id).map(\.json)), "next_cursor": .null]
        }
        dispatcher.register("workflow.validate", summary: "Validates a definition (or a stored workflow) and returns every error and the step layers.",
                            params: Kernel.workflowParamsSchema(mode: .validate)) { [unowned self] p, _ in
            var definition: JSON
            if let id = try p.optionalString("id"), p.value("definition") == nil,
               !Kernel.definitionKeys.contains(where: { p.value($0) != nil }) {
                let store = try self.requireStore()
                definition = try await store.workflow(id).definition
            } else {
                definition = try Kernel.definitionParam(p)
            }
            let (def, errors) = try await self.validateDefinition(definition)
            var o = JSONObject()
            o["valid"] = .bool(errors.isEmpty)
            o["errors"] = .array(errors.map(\.json))
            if let def {
                o["layers"] = .array(def.layers.map { JSON($0) })
                o["steps"] = .array(def.steps.map { s in
                    ["id": .string(s.id), "component_id": JSON(s.resolved?.id), "component_version": s.resolved.map { .int(Int64($0.version)) } ?? .null,
                     "type": JSON(s.resolved?.type.rawValue)]
                })
            }
            return .object(o)
        }
    }

    enum WorkflowParamsMode { case create, update, validate }

    static func workflowParamsSchema(mode: WorkflowParamsMode) -> JSON {
        let def = WorkflowDefinition.jsonSchema.objectValue ?? JSONObject()
        var props = JSONObject()
        if mode != .create { props["id"] = ["type": "string", "description": "Workflow id or name."] }
        if mode != .validate {
            props["name"] = ["type": "string", "minLength": 1, "maxLength": JSON(maxEntityNameLength)]
            props["description"] = ["type": "string"]
        } else {
            // The console's builder sends its draft whole; only the definition is validated.
            props["name"] = ["type": "string", "description": "Accepted and ignored: only the definition is validated."]
            props["description"] = ["type": "string", "description": "Accepted and ignored."]
        }
        for (k, v) in def["properties"]?.objectValue ?? JSONObject() { props[k] = v }
        props["definition"] = ["type": "object", "description": "The definition as one object (alternative to the top-level fields)."]
        var o = JSONObject([("type", "object"), ("properties", .object(props)), ("additionalProperties", false)])
        if mode == .create { o["required"] = ["name"] }
        if mode == .update { o["required"] = ["id"] }
        return .object(o)
    }

    static func workflowJSON(_ w: Workflow, _ v: WorkflowVersion) -> JSON {
        var o = w.json.objectValue ?? JSONObject()
        o["version"] = .int(Int64(v.version))
        o["definition"] = v.definition
        o["checksum"] = .string(v.checksum)
        return .object(o)
    }

    /// The definition from `definition: {...}` or the top-level `inputs/steps/outputs/concurrency`.
    static func definitionParam(_ p: Params, base: JSON? = nil) throws -> JSON {
        if let d = p.value("definition") {
            if Kernel.definitionKeys.contains(where: { p.value($0) != nil }) {
                throw KernelError.invalidParams("invalid params", errors: [FieldError("definition", "give either definition or its fields (inputs, steps, outputs, concurrency), not both")])
            }
            guard case .object = d else { throw KernelError.invalidParams("invalid params", errors: [FieldError("definition", "must be an object")]) }
            return d
        }
        var o = base?.objectValue ?? JSONObject()
        for k in definitionKeys { if let v = p.value(k) { o[k] = v } }
        return .object(o)
    }

    /// Validates a definition against the live component catalogue.
    func validateDefinition(_ definition: JSON) async throws -> (WorkflowDefinition?, [FieldError]) {
        let store = try requireStore()
        var resolutions: [String: ComponentResolution] = [:]
        let types = componentTypes
        func key(_ c: String, _ v: Int?) -> String { "\(v ?? 0)|\(c)" }
        for (name, version) in WorkflowDefinition.componentReferences(in: definition) where resolutions[key(name, version)] == nil {
            let component: Component
            do {
                component = try await store.component(name)
            } catch let e as KernelError where e.kind == .notFound {
                resolutions[key(name, version)] = .componentNotFound
                continue
            }
            if let version, version > component.latestVersion || version < 1 {
                resolutions[key(name, version)] = .versionNotFound(latest: component.latestVersion)
            } else {
                resolutions[key(name, version)] = .found(.init(id: component.id, version: version ?? component.latestVersion,
                                                               type: component.type,
                                                               secretInputs: types.secretInputs(of: component.type)))
            }
        }
        var (plan, errors) = WorkflowDefinition.validate(definition, lookup: { c, v in resolutions[key(c, v)] ?? .componentNotFound })
        // Nested workflow steps: the workflow (and version) must exist.
        for (i, step) in (definition["steps"]?.arrayValue ?? []).enumerated() {
            guard let text = step["workflow"]?.stringValue, let (name, version) = WorkflowStep.parseWorkflowReference(text) else { continue }
            do {
                let w = try await store.workflow(name)
                if let version, version > w.latestVersion {
                    errors.append(FieldError("steps[\(i)].workflow", "workflow '\(name)' has no version \(version) (latest is \(w.latestVersion))"))
                }
            } catch let e as KernelError where e.kind == .notFound {
                errors.append(FieldError("steps[\(i)].workflow", "unknown workflow '\(name)'"))
            }
        }
        if !errors.isEmpty { plan = nil }
        return (plan, errors)
    }

    func createWorkflow(_ p: Params, _ ctx: CallContext) async throws -> JSON {
        var errors: [FieldError] = []
        let allowed = Set(["name", "description", "definition"] + Kernel.definitionKeys)
        for (key, _) in p.json.objectValue ?? JSONObject() where !allowed.contains(key) { errors.append(FieldError(key, "unknown field")) }
        Kernel.metadataErrors(p, requireName: true, into: &errors)
        let definitionJSON = try Kernel.definitionParam(p)
        let (def, defErrors) = try await validateDefinition(definitionJSON)
        errors += defErrors
        guard errors.isEmpty, let def else { throw KernelError.invalidParams("invalid workflow", errors: errors) }
        let store = try requireStore()
        let now = Timestamp.now()
        let name = (try p.string("name")).trimmingCharacters()
        let workflow = Workflow(id: Identifier.uuid(), name: name, description: try p.optionalString("description") ?? "",
                                latestVersion: 1, definition: def.json, createdAt: now, updatedAt: now)
        let (w, v) = try await store.createWorkflow(workflow, audit: self.auditEntry(ctx, action: "workflow.create", entityType: "workflow", entityID: workflow.id, details: .object(JSONObject([("name", .string(name)), ("version", 1), ("steps", .int(Int64(def.steps.count))), ("checksum", .string(def.checksum))]))))
        return Kernel.workflowJSON(w, v)
    }

    func updateWorkflow(_ p: Params, _ ctx: CallContext) async throws -> JSON {
        var errors: [FieldError] = []
        let allowed = Set(["id", "name", "description", "definition"] + Kernel.definitionKeys)
        for (key, _) in p.json.objectValue ?? JSONObject() where !allowed.contains(key) { errors.append(FieldError(key, "unknown field")) }
        if p.value("id")?.stringValue == nil { errors.append(FieldError("id", p.value("id") == nil ? "is required" : "must be a string")) }
        Kernel.metadataErrors(p, requireName: false, into: &errors)
        guard errors.isEmpty else { throw KernelError.invalidParams("invalid workflow", errors: errors) }
        let store = try requireStore()
        let current = try await store.workflow(try p.string("id"))
        var newDefinition: JSON?
        if p.value("definition") != nil || Kernel.definitionKeys.contains(where: { p.value($0) != nil }) {
            let merged = try Kernel.definitionParam(p, base: current.definition)
            let (def, defErrors) = try await validateDefinition(merged)
            guard defErrors.isEmpty, let def else { throw KernelError.invalidParams("invalid workflow", errors: defErrors) }
            newDefinition = def.json
        }
        var details = JSONObject()
        for key in ["name", "description"] { if let v = p.value(key) { details[key] = v } }
        if let d = newDefinition { details["checksum"] = .string(d.contentChecksum) }
        let update = try await store.updateWorkflow(
            id: current.id,
            changes: WorkflowChanges(name: try p.optionalString("name")?.trimmingCharacters(), description: try p.optionalString("description"),
                                     definition: newDefinition, updatedAt: .now()),
            audit: self.auditEntry(ctx, action: "workflow.update", entityType: "workflow", entityID: current.id, details: .object(details)))
        let latest = try await store.workflowVersion(update.workflow.id, version: nil)
        var o = Kernel.workflowJSON(update.workflow, latest).objectValue ?? JSONObject()
        o["version_created"] = .bool(update.appendedVersion != nil)
        return .object(o)
    }
}
