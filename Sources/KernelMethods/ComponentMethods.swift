import Glibc
import KernelCore
import KernelDispatch
import KernelLoop
import KernelSandbox
import KernelServices
import KernelStore
import KernelTransport

/// `component.*` control methods (issue 3): typed, versioned components.
extension Kernel {
    /// Longest component / workflow name.
    static let maxEntityNameLength = 200
    /// Most tags per component.
    static let maxTags = 50

    func registerComponentMethods() {
        let idOnly: JSON = ["type": "object", "properties": ["id": ["type": "string", "description": "Component id or name."]],
                            "required": ["id"], "additionalProperties": false]
        dispatcher.register("component.create", summary: "Creates a component (version 1) from a typed config.",
                            params: Kernel.componentParamsSchema(create: true), checks: { [unowned self] p in self.componentConfigErrors(p) }) { [unowned self] p, ctx in
            try await self.createComponent(p, ctx)
        }
        dispatcher.register("component.get", summary: "A component with its latest (or the given) version's config.",
                            params: ["type": "object", "properties": ["id": ["type": "string"], "version": ["type": "integer", "minimum": 1]],
                                     "required": ["id"], "additionalProperties": false]) { [unowned self] p, _ in
            let store = try self.requireStore()
            let c = try await store.component(try Kernel.requiredName(p, "id"))
            let v = try await store.componentVersion(c.id, version: try p.optionalInt("version", in: 1...Int(Int32.max)))
            return Kernel.componentJSON(c, v)
        }
        dispatcher.register("component.list", summary: "Components, filtered by type, tag or text, with cursor pagination.",
                            params: ["type": "object", "properties": [
                                "type": ["type": "string", "description": "A component type name (component.types)."],
                                "tag": ["type": "string"], "q": ["type": "string"],
                                "limit": ["type": "integer", "minimum": 1, "maximum": JSON(StoreLimits.maxPageSize)],
                                "cursor": ["type": "string"]], "additionalProperties": false]) { [unowned self] p, _ in
            let store = try self.requireStore()
            var type: ComponentType?
            if let t = try p.optionalString("type") {
                // Any name: components of a type whose plugin is unloaded stay listable.
                type = ComponentType(t)
            }
            let page = try await store.listComponents(ComponentQuery(
                type: type, tag: try p.optionalString("tag"), q: try p.optionalString("q"),
                limit: try p.optionalInt("limit", in: 1...StoreLimits.maxPageSize), cursor: try p.optionalString("cursor")))
            // A type no plugin declares and no component has is a typo, not an empty page.
            if let type, page.items.isEmpty, !self.componentTypes.isKnown(type),
               try await store.listComponents(ComponentQuery(type: type, limit: 1)).items.isEmpty {
                throw KernelError.invalidParams("invalid params", errors: [FieldError("type", self.componentTypes.unknownTypeMessage(type.rawValue))])
            }
            return ["items": .array(page.items.map(\.json)), "next_cursor": JSON(page.nextCursor)]
        }
        dispatcher.register("component.update", summary: "Changes metadata; a changed config appends an immutable version.",
                            params: Kernel.componentParamsSchema(create: false), checks: { [unowned self] p in self.componentConfigErrors(p) }) { [unowned self] p, ctx in
            try await self.updateComponent(p, ctx)
        }
        dispatcher.register("component.delete", summary: "Deletes a component; refused (conflict) while a workflow references it unless force.",
                            params: ["type": "object", "properties": ["id": ["type": "string"], "force": ["type": "boolean", "default": false]],
                                     "required": ["id"], "additionalProperties": false]) { [unowned self] p, ctx in
            let store = try self.requireStore()
            let c = try await store.component(try Kernel.requiredName(p, "id"))
            let force = try p.optionalBool("force") ?? false
            try await store.deleteComponent(id: c.id, force: force, audit: self.auditEntry(ctx, action: "component.delete", entityType: "component", entityID: c.id, details: ["name": .string(c.name), "force": .bool(force)]))
            self.sandbox?.runners.retire(componentID: c.id)
            return ["id": .string(c.id), "deleted": true]
        }
        dispatcher.register("component.versions", summary: "Every immutable version of a component, oldest first.",
                            params: idOnly) { [unowned self] p, _ in
            let store = try self.requireStore()
            let c = try await store.component(try Kernel.requiredName(p, "id"))
            let versions = try await store.componentVersions(c.id)
            return ["component_id": .string(c.id), "items": .array(versions.map(\.json)), "next_cursor": .null]
        }
        dispatcher.register("component.schema", summary: "JSON Schema (2020-12) of every component type's config (or of one type).",
                            params: ["type": "object", "properties": ["type": ["type": "string", "description": "A component type name (component.types)."]],
                                     "additionalProperties": false]) { [unowned self] p, _ in
            let types = self.componentTypes
            if let t = try p.optionalString("type") {
                guard let schema = types.schema(of: ComponentType(t)) else {
                    throw KernelError.invalidParams("invalid params", errors: [FieldError("type", types.unknownTypeMessage(t))])
                }
                return schema
            }
            return ["types": types.allSchemas, "oneOf": types.unionSchema["oneOf"] ?? []]
        }
    }

    static func componentParamsSchema(create: Bool) -> JSON {
        var props = JSONObject()
        if !create { props["id"] = ["type": "string", "description": "Component id or name."] }
        props["name"] = ["type": "string", "minLength": 1, "maxLength": JSON(maxEntityNameLength)]
        props["description"] = ["type": "string"]
        props["tags"] = ["type": "array", "items": ["type": "string"]]
        props["owner"] = ["type": "string"]
        // The types come from the loaded executor plugins and change with plugin.load / unload, so
        // the registered schema says "an object"; the config is checked against its type's declared
        // schema (`componentConfigErrors`) and OpenAPI refers to the live `ComponentConfig` schema.
        props["config"] = ["type": "object", OpenAPIGenerator.schemaRefKey: "ComponentConfig",
                           "description": "The component's config: {type, …the fields its type declares} (component.types, component.schema)."]
        return ["type": "object", "properties": .object(props), "required": create ? ["name", "config"] : ["id"],
                "additionalProperties": false]
    }

    /// The config's errors against its type's schema, from the types the loaded plugins declare
    /// (the params schema checks only that it is an object).
    func componentConfigErrors(_ p: Params) -> [FieldError] {
        guard let config = p.value("config"), config.objectValue != nil else { return [] }
        return componentTypes.validate(config, path: "config").errors
    }

    /// Component JSON with the config, checksum and number of one version.
    static func componentJSON(_ c: Component, _ v: ComponentVersion) -> JSON {
        var o = c.json.objectValue ?? JSONObject()
        o["version"] = .int(Int64(v.version))
        o["config"] = v.config
        o["checksum"] = .string(v.checksum)
        return .object(o)
    }

    /// A required, non-empty string param.
    static func requiredName(_ p: Params, _ key: String) throws -> String {
        let s = try p.string(key)
        guard !s.isEmpty else { throw KernelError.invalidParams("invalid params", errors: [FieldError(key, "must not be empty")]) }
        return s
    }

    /// Validates name / description / tags / owner, appending field errors.
    static func metadataErrors(_ p: Params, requireName: Bool, into errors: inout [FieldError]) {
        switch p.json["name"] {
        case nil, .null?: if requireName { errors.append(FieldError("name", "is required")) }
        case .string(let s)?:
            if s.trimmingCharacters().isEmpty { errors.append(FieldError("name", "must not be empty")) }
            else if s.count > maxEntityNameLength { errors.append(FieldError("name", "must be at most \(maxEntityNameLength) characters")) }
        default: errors.append(FieldError("name", "must be a string"))
        }
        for key in ["description", "owner"] {
            if let v = p.json[key], !v.isNull, v.stringValue == nil { errors.append(FieldError(key, "must be a string")) }
        }
        switch p.json["tags"] {
        case nil, .null?: break
        case .array(let a)?:
            if a.count > maxTags { errors.append(FieldError("tags", "must have at most \(maxTags) items")) }
            for (i, t) in a.enumerated() {
                if let s = t.stringValue { if s.isEmpty { errors.append(FieldError("tags[\(i)]", "must not be empty")) } }
                else { errors.append(FieldError("tags[\(i)]", "must be a string")) }
            }
        default: errors.append(FieldError("tags", "must be an array"))
        }
    }

    func createComponent(_ p: Params, _ ctx: CallContext) async throws -> JSON {
        var errors: [FieldError] = []
        for (key, _) in p.json.objectValue ?? JSONObject() where !["name", "description", "tags", "owner", "config"].contains(key) {
            errors.append(FieldError(key, "unknown field"))
        }
        Kernel.metadataErrors(p, requireName: true, into: &errors)
        var validated: (type: ComponentType?, normalized: JSON?, errors: [FieldError]) = (nil, nil, [])
        if let config = p.value("config") {
            validated = componentTypes.validate(config, path: "config")
            errors += validated.errors
        } else {
            errors.append(FieldError("config", "is required"))
        }
        guard errors.isEmpty, let type = validated.type, let config = validated.normalized else {
            throw KernelError.invalidParams("invalid component", errors: errors)
        }
        try await checkTypeScript(type, config)
        let store = try requireStore()
        let now = Timestamp.now()
        let name = (try p.string("name")).trimmingCharacters()
        let component = Component(id: Identifier.uuid(), name: name, type: type,
                                  description: try p.optionalString("description") ?? "",
                                  tags: try p.optionalStringArray("tags") ?? [], owner: try p.optionalString("owner") ?? ctx.actor,
                                  latestVersion: 1, createdAt: now, updatedAt: now)
        let (c, v) = try await store.createComponent(component, config: config, audit: self.auditEntry(ctx, action: "component.create", entityType: "component", entityID: component.id, details: .object(JSONObject([("name", .string(name)), ("type", .string(type.rawValue)), ("version", 1), ("checksum", .string(config.contentChecksum))]))))
        return Kernel.componentJSON(c, v)
    }

    func updateComponent(_ p: Params, _ ctx: CallContext) async throws -> JSON {
        var errors: [FieldError] = []
        for (key, _) in p.json.objectValue ?? JSONObject() where !["id", "name", "description", "tags", "owner", "config"].contains(key) {
            errors.append(FieldError(key, "unknown field"))
        }
        if p.value("id")?.stringValue == nil { errors.append(FieldError("id", p.value("id") == nil ? "is required" : "must be a string")) }
        Kernel.metadataErrors(p, requireName: false, into: &errors)
        var validated: (type: ComponentType?, normalized: JSON?, errors: [FieldError]) = (nil, nil, [])
        if let config = p.value("config") {
            validated = componentTypes.validate(config, path: "config")
            errors += validated.errors
        }
        guard errors.isEmpty else { throw KernelError.invalidParams("invalid component", errors: errors) }
        if let type = validated.type, let config = validated.normalized { try await checkTypeScript(type, config) }
        let store = try requireStore()
        let current = try await store.component(try p.string("id"))
        let changes = ComponentChanges(name: try p.optionalString("name")?.trimmingCharacters(), description: try p.optionalString("description"),
                                       tags: try p.optionalStringArray("tags"), owner: try p.optionalString("owner"),
                                       config: validated.normalized,
                                       type: validated.type.flatMap { $0 == current.type ? nil : $0 }, updatedAt: .now())
        var details = JSONObject()
        for key in ["name", "description", "tags", "owner"] { if let v = p.value(key) { details[key] = v } }
        if let config = validated.normalized { details["checksum"] = .string(config.contentChecksum) }
        let update = try await store.updateComponent(id: current.id, changes: changes,
                                                     audit: self.auditEntry(ctx, action: "component.update", entityType: "component", entityID: current.id, details: .object(details)))
        if update.appendedVersion != nil { sandbox?.runners.retire(componentID: update.component.id) }
        let latest = try await store.componentVersion(update.component.id, version: nil)
        var o = Kernel.componentJSON(update.component, latest).objectValue ?? JSONObject()
        o["version_created"] = .bool(update.appendedVersion != nil)
        return .object(o)
    }

    /// A TypeScript Script's inline code is compiled with esbuild (in the sandbox) when it is
    /// saved, so a syntax error is refused here, at `config.codeContent`, not first seen at
    /// run time; the output lands in the compile cache the run then uses. Without a sandbox
    /// or esbuild the check is skipped (the run reports it). Then `tsc` checks the types
    /// (TypeScriptTypeCheck): each type error is refused with its line and column.
    func checkTypeScript(_ type: ComponentType, _ config: JSON) async throws {
        guard type == .typeScriptScript, let code = config["codeContent"]?.stringValue, !code.isEmpty, let sandbox,
              access(TypeScriptCache.esbuildPath, X_OK) == 0 else { return }
        do {
            _ = try await TypeScriptCache(sandbox: sandbox).compile(code)
        } catch let e as KernelError where e.kind == .invalidParams {
            throw KernelError.invalidParams("invalid component", errors: [FieldError("config.codeContent", e.message)])
        }
        // Types: esbuild only strips them; Debian's tsc (node-typescript) checks them, when installed.
        guard TypeScriptTypeCheck.isInstalled else { return }
        let found = try await TypeScriptTypeCheck(sandbox: sandbox).check(code)
        guard !found.isEmpty else { return }
        var errors = found.prefix(TypeScriptTypeCheck.maxReported).map { FieldError("config.codeContent", "type error at \($0)") }
        if found.count > TypeScriptTypeCheck.maxReported {
            errors.append(FieldError("config.codeContent", "\(found.count - TypeScriptTypeCheck.maxReported) more type errors (\(TypeScriptTypeCheck.maxReported) are shown)"))
        }
        throw KernelError.invalidParams("invalid component: \(found.count) TypeScript type error\(found.count == 1 ? "" : "s")", errors: errors)
    }
}
