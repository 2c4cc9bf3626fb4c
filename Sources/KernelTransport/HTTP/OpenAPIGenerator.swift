import KernelCore
import KernelDispatch
import KernelLoop

/// Builds the OpenAPI 3.1 document from the ONE route table and the params
/// JSON Schemas of the registered control methods (`Dispatcher.methods`) —
/// nothing is kept by hand. Path variables become path parameters; for routes
/// that take the query, the remaining params become query parameters; for
/// routes with a body, the params schema (minus path variables) is the body.
@KernelActor
public struct OpenAPIGenerator {
    public let routes: [HTTPRoute]
    public let methods: [MethodSpec]
    public let secured: Bool

    /// The schema of any component config (`ComponentTypes.unionSchema`).
    let componentConfig: JSON

    public init(routes: [HTTPRoute], methods: [MethodSpec], secured: Bool, componentConfig: JSON = ComponentTypes(declared: []).unionSchema) {
        self.routes = routes
        self.methods = methods
        self.secured = secured
        self.componentConfig = componentConfig
    }

    /// A params property marked `"x-mcpk-schema": "<name>"` is published as a `$ref` to that
    /// document schema (a component config: the union of the types loaded at the moment).
    package static let schemaRefKey = "x-mcpk-schema"

    public func document() -> JSON {
        var paths = JSONObject()
        // /mcp speaks JSON-RPC (MCP), not the REST error shape: documented in docs/ARCHITECTURE.md instead.
        for route in routes where route.action != .mcp {
            var item = paths[route.pattern]?.objectValue ?? JSONObject()
            item[route.method.lowercased()] = operation(route)
            paths[route.pattern] = .object(item)
        }
        var doc = JSONObject()
        doc["openapi"] = "3.1.0"
        doc["info"] = ["title": "MCP Kernel API", "version": .string(KernelVersion.current),
                       "description": "REST shim over the kernel's control methods (DESIGN.md §5). Each operation names its control method in x-mcpk-method."]
        doc["servers"] = [["url": "/"]]
        doc["paths"] = .object(paths)
        var components = JSONObject()
        // Domain schemas from KernelCore (the same ones `component.schema` serves).
        components["schemas"] = ["Error": OpenAPIGenerator.errorSchema,
                                 "ComponentConfig": OpenAPIGenerator.embeddable(componentConfig),
                                 "RunStatus": ["type": "string", "enum": .array(RunStatus.allCases.map { .string($0.rawValue) })],
                                 // A step's (and an attempt's) state; `cached`: the result of an identical attempt reused (issue 14).
                                 "StepStatus": ["type": "string", "enum": .array(StepStatus.allCases.map { .string($0.rawValue) })]]
        if secured {
            components["securitySchemes"] = ["bearer": ["type": "http", "scheme": "bearer"]]
        }
        doc["components"] = .object(components)
        return .object(doc)
    }

    static let errorSchema: JSON = [
        "type": "object", "required": ["error"],
        "properties": ["error": [
            "type": "object", "required": ["kind", "message"],
            "properties": [
                "kind": ["type": "string"],
                "message": ["type": "string"],
                "errors": ["type": "array", "items": [
                    "type": "object", "required": ["path", "message"],
                    "properties": ["path": ["type": "string"], "message": ["type": "string"]],
                ]],
            ],
        ]],
    ]

    func operation(_ route: HTTPRoute) -> JSON {
        var op = JSONObject()
        let methodName = route.controlMethod
        let spec = methodName.flatMap { n in methods.first { $0.name == n } }
        op["operationId"] = .string(operationID(route))
        op["summary"] = .string(route.summary)
        op["tags"] = [.string(route.tag)]
        if let methodName { op["x-mcpk-method"] = .string(methodName) }
        if spec == nil, let methodName {
            op["description"] = .string("Control method '\(methodName)' is not registered in this kernel; the route answers 404.")
        } else if let spec {
            op["description"] = .string(spec.summary)
        }
        let schema = spec?.params ?? ["type": "object"]
        let properties = schema["properties"]?.objectValue ?? JSONObject()
        let required = Set(schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        var pathParams: Set<String> = []
        var parameters: [JSON] = []
        for seg in route.segments {
            if case .variable(let name, let param) = seg {
                pathParams.insert(param)
                var p = JSONObject()
                p["name"] = .string(name)
                p["in"] = "path"
                p["required"] = true
                var s = properties[param]?.objectValue ?? JSONObject()
                s["type"] = "string"
                s["minLength"] = 1
                p["schema"] = .object(OpenAPIGenerator.scalarOnly(s))
                parameters.append(.object(p))
            }
        }
        if route.query, route.body == .none {
            for key in properties.keys where !pathParams.contains(key) {
                guard let prop = properties[key], OpenAPIGenerator.isQueryable(prop) else { continue }
                var p = JSONObject()
                p["name"] = .string(key)
                p["in"] = "query"
                p["required"] = .bool(required.contains(key))
                p["schema"] = prop
                if let d = prop["description"] { p["description"] = d }
                parameters.append(.object(p))
            }
        }
        for (header, param) in route.headerParams {
            var p = JSONObject([("name", .string(header)), ("in", "header"), ("required", false)])
            p["schema"] = properties[param]?.objectValue.map { .object(OpenAPIGenerator.scalarOnly($0)) } ?? ["type": "string"]
            if let d = properties[param]?["description"] { p["description"] = d }
            parameters.append(.object(p))
        }
        if case .stream = route.action {
            parameters.append(["name": "Last-Event-ID", "in": "header", "required": false,
                               "schema": ["type": "string", "pattern": "^[0-9]+$"]])
        }
        if !parameters.isEmpty { op["parameters"] = .array(parameters) }
        if route.body == .merge {
            var body = schema.objectValue ?? JSONObject()
            if var props = body["properties"]?.objectValue {
                for p in pathParams { props[p] = nil }
                for (k, v) in props {
                    if let name = v[OpenAPIGenerator.schemaRefKey]?.stringValue { props[k] = ["$ref": .string("#/components/schemas/" + name)] }
                }
                body["properties"] = .object(props)
            }
            if let req = body["required"]?.arrayValue {
                body["required"] = .array(req.filter { !pathParams.contains($0.stringValue ?? "") })
            }
            if body["type"] == nil { body["type"] = "object" }
            op["requestBody"] = ["required": false,
                                 "content": ["application/json": ["schema": .object(body)]]]
        }
        var responses = JSONObject()
        let okDescription: String
        switch route.status {
        case 201: okDescription = "Created"
        case 202: okDescription = "Accepted"
        default: okDescription = "OK"
        }
        switch route.action {
        case .stream:
            responses["200"] = ["description": "text/event-stream of run events",
                                "content": ["text/event-stream": ["schema": ["type": "string"]]]]
        case .metrics:
            responses["200"] = ["description": "Prometheus text format",
                                "content": ["text/plain": ["schema": ["type": "string"]]]]
        case .download:
            responses["200"] = ["description": "The artifact's bytes",
                                "content": ["*/*": ["schema": ["type": "string", "format": "binary"]]]]
        default:
            var r = JSONObject()
            r["description"] = .string(okDescription)
            // The method's registered reply schema: tests check every real reply against it.
            r["content"] = ["application/json": ["schema": spec?.reply ?? .object(JSONObject())]]
            if route.location != nil {
                r["headers"] = ["Location": ["schema": ["type": "string"]]]
            }
            responses[String(route.status)] = .object(r)
        }
        responses["default"] = ["description": "Error: {error: {kind, message, errors?}}",
                                "content": ["application/json": ["schema": ["$ref": "#/components/schemas/Error"]]]]
        op["responses"] = .object(responses)
        if secured, route.action != .health {
            op["security"] = [["bearer": []]]
        }
        return .object(op)
    }

    func operationID(_ route: HTTPRoute) -> String {
        var parts = [route.method.lowercased()]
        for seg in route.segments {
            switch seg {
            case .literal(let l): parts.append(l.replacingDashes())
            case .variable(let n, _): parts.append("by_" + n)
            }
        }
        return parts.joined(separator: "_")
    }

    /// A standalone JSON Schema without the keywords that would re-root it inside the document.
    static func embeddable(_ schema: JSON) -> JSON {
        guard case .object(var o) = schema else { return schema }
        o["$schema"] = nil
        o["$id"] = nil
        if let oneOf = o["oneOf"]?.arrayValue { o["oneOf"] = .array(oneOf.map(embeddable)) }
        return .object(o)
    }

    /// Path parameters are strings: drop keywords that contradict that.
    static func scalarOnly(_ s: JSONObject) -> JSONObject {
        var out = JSONObject()
        for k in s.keys where ["type", "minLength", "maxLength", "pattern", "description", "format"].contains(k) {
            out[k] = s[k]
        }
        return out
    }

    /// Query parameters carry scalars or arrays of scalars.
    static func isQueryable(_ schema: JSON) -> Bool {
        let t = schema["type"]
        let types = t?.stringValue.map { [$0] } ?? t?.arrayValue?.compactMap(\.stringValue) ?? []
        if types.isEmpty { return false }
        if types.contains("object") { return false }
        if types.contains("array") {
            let it = schema["items"]?["type"]?.stringValue ?? ""
            return ["string", "integer", "number", "boolean"].contains(it)
        }
        return true
    }
}

extension String {
    fileprivate func replacingDashes() -> String {
        String(map { $0 == "-" || $0 == "." ? "_" : $0 })
    }
}
