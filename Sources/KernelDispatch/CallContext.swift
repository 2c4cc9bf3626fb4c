import KernelCore
import KernelLoop

/// Which transport a call came through.
public enum Transport: String, Sendable {
    case socket, http, `internal`
}

/// Who is calling and where notifications go.
@KernelActor
public final class CallContext {
    /// The audit actor: `uid:<n>` on the socket, `http` or `http:token` on the shim.
    public let actor: String
    public let transport: Transport
    /// The caller's session, for subscriptions; nil for one-shot HTTP calls.
    public weak var session: (any Session)?
    /// Request id for logs (`X-Request-Id` on HTTP, the JSON-RPC id on the socket).
    public let requestID: String

    public init(actor: String, transport: Transport, session: (any Session)? = nil, requestID: String = "") {
        self.actor = actor
        self.transport = transport
        self.session = session
        self.requestID = requestID
    }

    /// The session or an `invalid_params` error for methods that need one.
    public func requireSession() throws -> any Session {
        guard let session else {
            throw KernelError.invalidParams("this method needs a streaming session (socket or SSE)")
        }
        return session
    }
}

/// A connection that can receive server-pushed notifications.
@KernelActor
public protocol Session: AnyObject {
    /// Pushes a JSON-RPC notification. Returns false if the client is gone or
    /// was dropped because its outbound queue passed its bound.
    func notify(_ method: String, _ params: JSON) -> Bool
    /// Registers cleanup that runs on unsubscribe or disconnect.
    func addSubscription(_ id: String, onCancel: @escaping @KernelActor () -> Void)
    /// Runs and forgets the cleanup of one subscription.
    func removeSubscription(_ id: String)
    var isOpen: Bool { get }
}
