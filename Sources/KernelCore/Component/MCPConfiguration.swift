/// How to start an MCP server: parsed from a component's `mcpConfiguration`
/// string, which may be JSON or YAML. A Claude-desktop style
/// `{"mcpServers": {"name": {...}}}` wrapper with exactly one server is
/// accepted too.
public struct MCPConfiguration: Sendable, Equatable {
    public var command: String
    public var args: [String]
    /// Environment variables, in document order.
    public var env: [(key: String, value: String)]

    public init(command: String, args: [String] = [], env: [(key: String, value: String)] = []) {
        self.command = command; self.args = args; self.env = env
    }

    public static func == (a: MCPConfiguration, b: MCPConfiguration) -> Bool {
        a.command == b.command && a.args == b.args && a.env.map(\.key) == b.env.map(\.key)
            && a.env.map(\.value) == b.env.map(\.value)
    }

    /// `{command, args, env}`.
    public var json: JSON {
        var env = JSONObject()
        for (k, v) in self.env { env[k] = .string(v) }
        return ["command": .string(command), "args": JSON(args), "env": .object(env)]
    }

    /// Parses and validates. Errors use `path` (e.g. `config.mcpConfiguration`)
    /// with the document's own keys appended (`config.mcpConfiguration.args[1]`).
    public static func parse(_ text: String, path: String) -> (MCPConfiguration?, [FieldError]) {
        let trimmed = text.trimmingSpaces()
        var document: JSON
        if trimmed.hasPrefix("{") || trimmed.hasPrefix("[") {
            do {
                document = try JSONParser.parse(text)
            } catch let jsonError {
                // Flow-style YAML (`{command: x}`) is not JSON: try YAML before giving up.
                do { document = try YAML.parse(text) } catch {
                    return (nil, [FieldError(path, "is not valid JSON or YAML: \(jsonError)")])
                }
            }
        } else {
            do { document = try YAML.parse(text) } catch {
                return (nil, [FieldError(path, "is not valid JSON or YAML: \(error)")])
            }
        }
        var base = path
        if case .object(let o) = document, o.count == 1, case .object(let servers)? = o["mcpServers"] {
            guard servers.count == 1, let (name, server) = servers.first(where: { _ in true }) else {
                return (nil, [FieldError(path + ".mcpServers", "must contain exactly one server")])
            }
            document = server
            base = path + ".mcpServers." + name
        }
        guard case .object(let o) = document else {
            return (nil, [FieldError(path, "must be a mapping with command, args and env")])
        }
        var errors: [FieldError] = []
        for (key, _) in o where !["command", "args", "env"].contains(key) {
            errors.append(FieldError(base + "." + key, "unknown field"))
        }
        var command = ""
        switch o["command"] {
        case .string(let s)? where !s.isEmpty: command = s
        case .string?: errors.append(FieldError(base + ".command", "must not be empty"))
        case nil, .null?: errors.append(FieldError(base + ".command", "is required"))
        default: errors.append(FieldError(base + ".command", "must be a string"))
        }
        var args: [String] = []
        switch o["args"] {
        case nil, .null?: break
        case .array(let a)?:
            for (i, item) in a.enumerated() {
                if let s = scalarText(item) { args.append(s) } else { errors.append(FieldError("\(base).args[\(i)]", "must be a string")) }
            }
        default: errors.append(FieldError(base + ".args", "must be an array"))
        }
        var env: [(key: String, value: String)] = []
        switch o["env"] {
        case nil, .null?: break
        case .object(let e)?:
            for (k, v) in e {
                if let s = scalarText(v) { env.append((k, s)) } else { errors.append(FieldError("\(base).env.\(k)", "must be a string")) }
            }
        default: errors.append(FieldError(base + ".env", "must be an object"))
        }
        guard errors.isEmpty else { return (nil, errors) }
        return (MCPConfiguration(command: command, args: args, env: env), [])
    }

    /// YAML makes `PORT: 8080` a number; arguments and environment values are text.
    private static func scalarText(_ v: JSON) -> String? {
        switch v {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return FieldDefinition.formatNumber(d)
        case .bool(let b): return b ? "true" : "false"
        default: return nil
        }
    }
}
