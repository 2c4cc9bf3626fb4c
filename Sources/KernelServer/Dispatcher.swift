import KernelCore
import KernelLoop

/// A control method handler. Runs on the loop (`KernelActor`).
public typealias MethodHandler = @KernelActor (Params, CallContext) async throws -> JSON

/// A handler that never suspends (reads of in-memory state). Transports run
/// it inline in the read callback, skipping a task hop.
public typealias SyncMethodHandler = @KernelActor (Params, CallContext) throws -> JSON

/// One registered control method, as listed by `rpc.discover` and the OpenAPI generator.
public struct MethodSpec {
    public let name: String
    public let summary: String
    /// JSON Schema of the params object.
    public let params: JSON
    let handler: MethodHandler
    let syncHandler: SyncMethodHandler?
}

/// Maps method names to handlers. The only place business logic is reached
/// from a transport: the Unix socket and the HTTP shim both call `call`.
@KernelActor
public final class Dispatcher {
    private var table: [String: MethodSpec] = [:]

    public init() {}

    /// Registers a method. Re-registering a name replaces it.
    public func register(_ name: String, summary: String, params: JSON = ["type": "object"],
                         _ handler: @escaping MethodHandler) {
        table[name] = MethodSpec(name: name, summary: summary, params: params, handler: handler, syncHandler: nil)
    }

    /// Registers a method whose handler never suspends.
    public func registerSync(_ name: String, summary: String, params: JSON = ["type": "object"],
                             _ handler: @escaping SyncMethodHandler) {
        table[name] = MethodSpec(name: name, summary: summary, params: params,
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
        do {
            return .success(try sync(Params(p), context))
        } catch let e as KernelError {
            return .failure(.kernel(e))
        } catch {
            return .failure(.kernel(.internal(String(describing: error))))
        }
    }

    public func has(_ name: String) -> Bool { table[name] != nil }

    public var methods: [MethodSpec] { table.values.sorted { $0.name < $1.name } }

    /// Calls a method. Unknown names are `DispatchError.methodNotFound`.
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
