import KernelCore
import KernelLoop

/// A response streamed as Server-Sent Events that a handler writes message by message (the
/// MCP endpoint's per-request stream: `event: message`, `data: <JSON-RPC message>`), as opposed
/// to `SSEStream`, which relays a run subscription. The connection closing (client gone,
/// kernel stopping) runs `onClose` once: for MCP that cancels the request.
@KernelActor
public final class HTTPEventSink {
    weak var connection: HTTPConnection?
    public var onClose: (@KernelActor () -> Void)?
    public private(set) var isOpen = true

    init(connection: HTTPConnection) { self.connection = connection }

    /// Sends one message; false once the client is gone.
    @discardableResult
    public func send(_ message: JSON) -> Bool {
        guard isOpen, let connection else { return false }
        let ok = connection.writeStream(SSEEncoder.event(event: "message", data: message.serialized()))
        if connection.queuedBytes > HTTPLimits.maxOutboundBytes { connectionGone(); return false }
        return ok
    }

    /// The peer went away (or the kernel stops): the stream is over.
    func connectionGone() {
        guard isOpen else { return }
        isOpen = false
        let f = onClose
        onClose = nil
        f?()
    }
}
