import KernelCore
import KernelLoop

/// A control method handler. Runs on the loop (`KernelActor`).
public typealias MethodHandler = @KernelActor (Params, CallContext) async throws -> JSON

/// A handler that never suspends (reads of in-memory state). Transports run
/// it inline in the read callback, skipping a task hop.
public typealias SyncMethodHandler = @KernelActor (Params, CallContext) throws -> JSON

/// Checks of a method's params that a JSON Schema cannot state (a component config against
/// its type's fields). Run by the dispatcher with the schema check; their errors join the
/// schema's in one `invalid_params` reply.
public typealias ParamsCheck = @KernelActor (Params) -> [FieldError]

/// One registered control method, as listed by `rpc.discover` and the OpenAPI generator.
public struct MethodSpec {
    public let name: String
    public let summary: String
    /// JSON Schema of the params object. `Dispatcher.call` checks every request against it
    /// before the handler runs, so the schema is the contract, not a description of it. A
    /// schema that declares its `properties` is closed (`additionalProperties: false` unless it
    /// says otherwise): an unknown param is an error, as OpenAPI then says.
    public let params: JSON
    /// JSON Schema of the reply (nil: not registered). Tests check every method's real reply
    /// against it; OpenAPI publishes it as the operation's response body.
    public let reply: JSON?
    /// The compiled params schema (nil when it did not compile: see `schemaProblems`).
    let paramsSchema: JSONSchema?
    /// The compiled reply schema.
    public let replySchema: JSONSchema?
    /// Problems compiling `params` or `reply` (paths rooted at `<method>.params` / `<method>.reply`).
    public let schemaProblems: [FieldError]
    let checks: ParamsCheck?
    let handler: MethodHandler
    let syncHandler: SyncMethodHandler?

    init(name: String, summary: String, params: JSON, reply: JSON?, checks: ParamsCheck?,
         handler: @escaping MethodHandler, syncHandler: SyncMethodHandler?) {
        self.checks = checks
        self.name = name
        self.summary = summary
        var params = params
        if case .object(var o) = params, o["properties"] != nil, o["additionalProperties"] == nil {
            o["additionalProperties"] = false
            params = .object(o)
        }
        self.params = params
        self.reply = reply ?? MethodReplies.byMethod[name]
        let (p, pErrors) = JSONSchema.compile(MethodSpec.enforceable(params), path: name + ".params")
        var problems = pErrors
        if p != nil, params["type"]?.stringValue != "object" {
            problems.append(FieldError(name + ".params.type", "must be \"object\" (params are always an object)"))
        }
        var r: JSONSchema?
        if let reply = self.reply {
            let (compiled, rErrors) = JSONSchema.compile(reply, path: name + ".reply")
            r = compiled
            problems += rErrors
        }
        paramsSchema = p
        replySchema = r
        schemaProblems = problems
        self.handler = handler
        self.syncHandler = syncHandler
    }

    /// The params schema as the dispatcher checks it: a `oneOf` of object schemas (a component
    /// config: one schema per component type) is checked as an object here and in full by its
    /// domain validator (`ComponentTypes.validate`, the declared schemas), whose errors name the type's fields. Everything else
    /// is checked as published.
    static func enforceable(_ schema: JSON) -> JSON {
        guard case .object(var o) = schema else { return schema }
        if let alternatives = o["oneOf"]?.arrayValue, !alternatives.isEmpty,
           alternatives.allSatisfy({ $0["type"]?.stringValue == "object" }) {
            var out = JSONObject()
            out["type"] = "object"
            if let d = o["description"] { out["description"] = d }
            return .object(out)
        }
        if let props = o["properties"]?.objectValue {
            var p = JSONObject()
            for (k, v) in props { p[k] = enforceable(v) }
            o["properties"] = .object(p)
        }
        if let items = o["items"] { o["items"] = enforceable(items) }
        if let extra = o["additionalProperties"], extra.objectValue != nil { o["additionalProperties"] = enforceable(extra) }
        return .object(o)
    }

    /// Checks `params` (an object) against the params schema: every violation at once, as one
    /// `invalid_params` error whose `errors` carry the paths (`limit`, `inputs.city`, …).
    /// A top-level `null` counts as absent (as `Params` reads it) unless the schema allows null.
    @KernelActor
    func check(_ params: JSON) -> KernelError? {
        guard let schema = paramsSchema else {
            return .internal("method '\(name)' has an invalid params schema: "
                             + schemaProblems.map(\.description).joined(separator: "; "))
        }
        var value = params
        if case .object(var o) = params {
            for (k, v) in o where v.isNull {
                // Declared with a type that excludes null: absent. Untyped or undeclared: kept.
                if let types = schema.property(k)?.types, !types.contains("null") { o[k] = nil }
            }
            value = .object(o)
        }
        var errors = schema.validate(value, path: "")
        if let checks {
            for e in checks(Params(params)) where !errors.contains(e) { errors.append(e) }
        }
        guard !errors.isEmpty else { return nil }
        return .invalidParams("invalid params", errors: errors)
    }
}

/// Maps method names to handlers. The only place business logic is reached
/// from a transport: the Unix socket and the HTTP shim both call `call`.
/// Every call's params are checked against the method's schema first.
@KernelActor
public final class Dispatcher {
    private var table: [String: MethodSpec] = [:]

    public init() {}

    /// Registers a method. Re-registering a name replaces it.
    /// - Parameters:
    ///   - params: JSON Schema of the params (an object schema); enforced by `call`.
    ///   - reply: JSON Schema of the reply (default: the method's entry in `MethodReplies.byMethod`).
    ///   - checks: what the schema cannot state, checked with it (errors reported together).
    public func register(_ name: String, summary: String, params: JSON = ["type": "object"], reply: JSON? = nil,
                         checks: ParamsCheck? = nil, _ handler: @escaping MethodHandler) {
        table[name] = MethodSpec(name: name, summary: summary, params: params, reply: reply, checks: checks,
                                 handler: handler, syncHandler: nil)
    }

    /// Registers a method whose handler never suspends.
    public func registerSync(_ name: String, summary: String, params: JSON = ["type": "object"], reply: JSON? = nil,
                             _ handler: @escaping SyncMethodHandler) {
        table[name] = MethodSpec(name: name, summary: summary, params: params, reply: reply, checks: nil,
                                 handler: { p, c in try handler(p, c) }, syncHandler: handler)
    }

    /// Calls a method inline if it is synchronous; nil means "use `call`".
    public func callInline(_ name: String, params: JSON, context: CallContext) -> Result<JSON, DispatchError>? {
        guard let spec = table[name], let sync = spec.syncHandler else { return nil }
        let p: JSON
        switch params {
        case .null: p = .object(JSONObject())
        case .object: p = params
        default: return nil
        }
        if let e = spec.check(p) { return .failure(.kernel(e)) }
        do {
            return .success(try sync(Params(p), context))
        } catch let e as KernelError {
            return .failure(.kernel(e))
        } catch {
            return .failure(.kernel(.internal(String(describing: error))))
        }
    }

    /// Sets the reply schema of a registered method (no-op for an unknown name).
    public func setReply(_ name: String, _ schema: JSON) {
        guard let s = table[name] else { return }
        table[name] = MethodSpec(name: s.name, summary: s.summary, params: s.params, reply: schema, checks: s.checks,
                                 handler: s.handler, syncHandler: s.syncHandler)
    }

    /// Methods registered without a reply schema (a test keeps this empty).
    public var methodsWithoutReply: [String] { methods.filter { $0.reply == nil }.map(\.name) }

    public func has(_ name: String) -> Bool { table[name] != nil }

    public func spec(_ name: String) -> MethodSpec? { table[name] }

    public var methods: [MethodSpec] { table.values.sorted { $0.name < $1.name } }

    /// Every problem compiling a registered schema (a test keeps this empty).
    public var schemaProblems: [FieldError] { methods.flatMap(\.schemaProblems) }

    /// Calls a method. Unknown names are `DispatchError.methodNotFound`; params that break
    /// the method's schema are `invalid_params` with every violation, before the handler runs.
    public func call(_ name: String, params: JSON, context: CallContext) async -> Result<JSON, DispatchError> {
        guard let spec = table[name] else { return .failure(.methodNotFound(name)) }
        let p: JSON
        switch params {
        case .null: p = .object(JSONObject())
        case .object: p = params
        default:
            return .failure(.kernel(.invalidParams("params must be an object",
                                                    errors: [FieldError("params", "must be an object")])))
        }
        if let e = spec.check(p) { return .failure(.kernel(e)) }
        do {
            return .success(try await spec.handler(Params(p), context))
        } catch let e as KernelError {
            return .failure(.kernel(e))
        } catch let e as UVError {
            return .failure(.kernel(e.kernelError))
        } catch {
            return .failure(.kernel(.internal(String(describing: error))))
        }
    }
}

/// Why a call failed: no such method, or the method's own `KernelError`.
public enum DispatchError: Error, Sendable {
    case methodNotFound(String)
    case kernel(KernelError)

    public var kernelError: KernelError {
        switch self {
        case .methodNotFound(let m): return .notFound("method '\(m)' not found")
        case .kernel(let e): return e
        }
    }
}
