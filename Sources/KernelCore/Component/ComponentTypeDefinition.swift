/// One component type as an executor plugin declares it (`mcpk_component_type`, ABI 1.2.0):
/// its name, its config JSON Schema (2020-12; titles, descriptions, defaults, `format`,
/// `x-mcpk-*` UI hints), the step inputs that are secrets (resolved by the kernel from
/// `${secrets.NAME}` / a named connection, never stored in the config) and whether a step
/// runs as a sandboxed process (`plan`) or in-process (`invoke`).
public struct ComponentTypeDefinition: Sendable, Equatable {
    /// How a step of the type runs.
    public enum Execution: String, Sendable, Equatable {
        /// `mcpk_executor.plan` → a process in the kernel's sandbox.
        case sandbox
        /// `mcpk_executor.invoke` on a plugin thread.
        case inProcess = "in_process"
    }

    /// Longest type name.
    public static let maxNameLength = 100
    /// Most secret fields one type may declare.
    public static let maxSecretFields = 32

    public var name: ComponentType
    public var description: String
    /// The config schema as declared (an object schema; its `properties` in form order).
    public var schema: JSON
    public var secretFields: [String]
    public var execution: Execution
    /// The plugin that declared it (filled by the host).
    public var plugin: String
    /// Whether each attempt gets a work dir with `inputs.json` (false: the type declared
    /// `MCPK_TYPE_NO_WORK_DIR`, ABI 1.3.0; in-process types only).
    public var workDirectory: Bool

    public init(name: ComponentType, description: String, schema: JSON, secretFields: [String], execution: Execution,
                plugin: String, workDirectory: Bool = true) {
        self.name = name; self.description = description; self.schema = schema
        self.secretFields = secretFields; self.execution = execution; self.plugin = plugin
        self.workDirectory = workDirectory
    }

    /// The problems of a declaration, each with a path rooted at `path` (a plugin with any is refused at load).
    public static func problems(name: String, schema: JSON, secretFields: [String], path: String) -> [FieldError] {
        var errors: [FieldError] = []
        if name.isEmpty || name.count > maxNameLength || name.first?.isWhitespace == true || name.last?.isWhitespace == true {
            errors.append(FieldError(FieldDefinition.join(path, "name"),
                                     "must be 1 to \(maxNameLength) characters without surrounding spaces (got '\(name)')"))
        }
        let schemaPath = FieldDefinition.join(path, "config_schema_json")
        if case .object(let o) = schema {
            if let t = o["type"], t != "object" { errors.append(FieldError(FieldDefinition.join(schemaPath, "type"), "must be \"object\"")) }
            if let props = o["properties"]?.objectValue, let typeProp = props[ComponentConventions.typeField],
               let c = typeProp["const"], c != .string(name) {
                errors.append(FieldError(schemaPath + ".properties.type.const", "must be the type name '\(name)' (got \(c.serialized()))"))
            }
            errors += JSONSchema.compile(schema, path: schemaPath).1
        } else {
            errors.append(FieldError(schemaPath, "must be a JSON Schema object"))
        }
        if secretFields.count > maxSecretFields {
            errors.append(FieldError(FieldDefinition.join(path, "secret_fields"),
                                     "declares \(secretFields.count) secret fields; the limit is \(maxSecretFields)"))
        }
        for (i, f) in secretFields.enumerated() where f.isEmpty {
            errors.append(FieldError("\(FieldDefinition.join(path, "secret_fields"))[\(i)]", "must not be empty"))
        }
        return errors
    }

    /// `component.types` / plugin metadata form.
    public var json: JSON {
        var o = JSONObject()
        o["name"] = .string(name.rawValue)
        o["description"] = .string(description)
        o["plugin"] = .string(plugin)
        o["execution"] = .string(execution.rawValue)
        o["secret_fields"] = JSON(secretFields)
        o["work_dir"] = .bool(workDirectory)
        o["config_schema"] = schema
        return .object(o)
    }

    /// Parses `json` (the plugin-host child's metadata); nil if malformed.
    public init?(json: JSON) {
        guard let n = json["name"]?.stringValue, let e = json["execution"]?.stringValue.flatMap(Execution.init(rawValue:)),
              let schema = json["config_schema"], case .object = schema else { return nil }
        self.init(name: ComponentType(n), description: json["description"]?.stringValue ?? "", schema: schema,
                  secretFields: (json["secret_fields"]?.arrayValue ?? []).compactMap(\.stringValue), execution: e,
                  plugin: json["plugin"]?.stringValue ?? "", workDirectory: json["work_dir"]?.boolValue ?? true)
    }
}
