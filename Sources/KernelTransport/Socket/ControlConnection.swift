import Glibc
import KernelCore
import KernelDispatch
import KernelLoop
import Logging

/// One client of the control socket: a line framer, a JSON-RPC request
/// handler and a notification `Session`. Loop-thread only.
///
/// End of input: a client that half-closes (`shutdown(SHUT_WR)`) after sending
/// still gets every reply, then the connection closes. A client that is gone
/// (closed its socket: the kernel's end reports `POLLHUP`, seen at EOF or by the
/// probe every `ControlServer.peerProbeMs` while replies are pending, or a
/// write fails) has its requests in flight cancelled — a running
/// `connection.query` stops at the source — and nothing more is written.
@KernelActor
final class ControlConnection: Session, Draining {
    enum State: Equatable { case open, closing, closed }

    private let stream: Pipe
    private unowned let server: ControlServer
    let peerUID: UInt32
    let peerPID: Int32
    private var framer = NDJSONFramer(maxMessageBytes: ControlServer.maxMessageBytes)
    private(set) var state: State = .open
    private(set) var inFlight = 0
    /// The tasks answering requests, by a per-connection number (cancelled when the peer is gone).
    private var tasks: [Int: Task<Void, Never>] = [:]
    private var nextTask = 0
    /// Watches a half-closed peer with replies pending for going away entirely.
    private var probe: Timer?
    private var subscriptions: [String: @KernelActor () -> Void] = [:]
    var closeWaiters: [() -> Void] = []
    /// The audit actor of every call on this connection (`uid:<n>`).
    private let actorName: String
    /// Replies produced while handling one read, written with one `write` at
    /// its end (one syscall per loop turn per connection). Reused across reads.
    private var output: [UInt8] = []
    /// True while `received` runs: `send` appends to `output` without writing.
    private var coalescing = false
    /// `output` capacity kept between reads; a larger buffer (one huge reply) is released.
    static let retainedOutputCapacity = 64 * 1024
    private static let responsePrefix = Array(#"{"jsonrpc":"2.0","id":"#.utf8)
    private static let resultKey = Array(#","result":"#.utf8)
    private static let errorKey = Array(#","error":"#.utf8)

    init(stream: Pipe, server: ControlServer, peerUID: UInt32, peerPID: Int32) {
        self.stream = stream
        self.server = server
        self.peerUID = peerUID
        self.peerPID = peerPID
        self.actorName = "uid:\(peerUID)"
    }

    var isOpen: Bool { state == .open }

    func start() {
        stream.onRead = { [weak self] buf in
            KernelActor.assumeIsolated { self?.received(buf) }
        }
        stream.onEnd = { [weak self] _ in
            KernelActor.assumeIsolated { self?.peerEnded() }
        }
        stream.onWriteError = { [weak self] _ in
            KernelActor.assumeIsolated { self?.peerGone("write failed") }
        }
        do { try stream.startReading() } catch { teardown() }
    }

    // MARK: framing

    private func received(_ chunk: UnsafeRawBufferPointer) {
        guard state == .open else { return }
        coalescing = true
        defer {
            coalescing = false
            flushOutput()
        }
        let outcome = framer.feed(chunk) { line in
            handleLine(line)
            return state == .open
        }
        if outcome == .overflow {
            let e = RPCError.object(code: RPCError.messageTooLarge,
                                    message: "message exceeds \(ControlServer.maxMessageBytes) bytes; closing the connection",
                                    kind: .invalidParams)
            send(RPCError.response(id: .null, error: e))
            closeGracefully()
        }
    }

    private func peerEnded() {
        if inFlight == 0 { closeGracefully(); return }
        if ControlConnection.isHungUp(stream.fileDescriptor) { peerGone("closed its socket"); return }
        // Half-closed: the client finished sending; answer what is in flight, then close.
        state = .closing
        startProbe()
    }

    /// True when the peer's end is closed for good (both directions: `POLLHUP`), not merely
    /// half-closed for writing. A Unix stream socket reports it at once.
    static func isHungUp(_ fd: Int32) -> Bool {
        guard fd >= 0 else { return true }
        var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        guard poll(&p, 1, 0) >= 0 else { return false }
        return p.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0
    }

    private func startProbe() {
        guard probe == nil, let t = try? Timer(loop: KernelRuntime.loop) else { return }
        probe = t
        t.start(timeoutMs: ControlServer.peerProbeMs, repeatMs: ControlServer.peerProbeMs) { [weak self] in
            KernelActor.assumeIsolated {
                guard let self, self.state == .closing, self.inFlight > 0 else { return }
                if ControlConnection.isHungUp(self.stream.fileDescriptor) { self.peerGone("closed its socket") }
            }
        }
    }

    private func stopProbe() {
        probe?.close()
        probe = nil
    }

    /// The client is gone: its requests in flight are cancelled (nobody reads their replies).
    private func peerGone(_ why: String) {
        guard state != .closed else { return }
        if !tasks.isEmpty {
            server.logger.info("client gone: cancelling its requests in flight",
                               metadata: ["pid": "\(peerPID)", "requests": "\(tasks.count)", "why": "\(why)"])
            for t in tasks.values { t.cancel() }
        }
        teardown()
    }

    // MARK: requests

    private func handleLine(_ line: ArraySlice<UInt8>) {
        // Skip blank lines (only whitespace).
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return }
        let value: JSON
        do {
            value = try line.withUnsafeBufferPointer { try JSONParser.parse($0) }
        } catch {
            send(RPCError.response(id: .null, error: RPCError.object(code: RPCError.parseError,
                                                                     message: "parse error: \(error)", kind: .invalidParams)))
            return
        }
        if case .array(let batch) = value {
            guard !batch.isEmpty else {
                send(RPCError.response(id: .null, error: RPCError.object(code: RPCError.invalidRequest,
                                                                         message: "empty batch", kind: .invalidParams)))
                return
            }
            track { [unowned self] in
                var replies: [JSON] = []
                for item in batch {
                    if let r = await self.execute(item) { replies.append(r) }
                }
                if !replies.isEmpty { self.send(.array(replies)) }
            }
            return
        }
        if executeInline(value) { return }
        track { [unowned self] in
            if let reply = await self.execute(value) { self.send(reply) }
        }
    }

    /// Answers a request in a task of its own, counted in `inFlight` and cancelled if the peer goes.
    private func track(_ body: @escaping @KernelActor () async -> Void) {
        let key = nextTask
        nextTask += 1
        inFlight += 1
        tasks[key] = Task { @KernelActor in
            await body()
            self.tasks[key] = nil
            self.requestDone()
        }
    }

    /// Well-formed requests for synchronous methods are answered without a
    /// task hop, the reply serialised straight into `output`. Returns false
    /// when the request must go through `execute`.
    private func executeInline(_ request: JSON) -> Bool {
        guard case .object(let o) = request, o["jsonrpc"]?.stringValue == "2.0",
              let method = o["method"]?.stringValue else { return false }
        let id = o["id"]
        switch id {
        case nil, .string?, .int?: break
        default: return false
        }
        let params = o["params"] ?? .null
        let context = CallContext(actor: actorName, transport: .socket, session: self, requestID: "")
        guard let result = server.dispatcher.callInline(method, params: params, context: context) else { return false }
        if let id { sendResponse(id: id, result) }
        return true
    }

    /// Runs one request; returns the response, or nil for a notification.
    private func execute(_ request: JSON) async -> JSON? {
        guard case .object(let o) = request else {
            return RPCError.response(id: .null, error: RPCError.object(code: RPCError.invalidRequest,
                                                                       message: "request must be an object", kind: .invalidParams))
        }
        let id = o["id"]
        if let id {
            switch id {
            case .string, .int, .null: break
            case .double: break
            default:
                return RPCError.response(id: .null, error: RPCError.object(code: RPCError.invalidRequest,
                                                                           message: "id must be a string or number", kind: .invalidParams))
            }
        }
        guard o["jsonrpc"]?.stringValue == "2.0" else {
            return RPCError.response(id: id ?? .null, error: RPCError.object(code: RPCError.invalidRequest,
                                                                             message: "jsonrpc must be \"2.0\"", kind: .invalidParams))
        }
        guard let method = o["method"]?.stringValue else {
            return RPCError.response(id: id ?? .null, error: RPCError.object(code: RPCError.invalidRequest,
                                                                             message: "method must be a string", kind: .invalidParams))
        }
        let params = o["params"] ?? .null
        if case .array = params {
            return RPCError.response(id: id ?? .null, error: RPCError.object(code: RPCError.invalidParams,
                message: "params must be an object (by-name)", kind: .invalidParams,
                errors: [FieldError("params", "must be an object")]))
        }
        let context = CallContext(actor: actorName, transport: .socket, session: self,
                                  requestID: id.map { $0.serialized() } ?? "")
        let result = await server.dispatcher.call(method, params: params, context: context)
        guard let id else { return nil }  // notification: no reply
        switch result {
        case .success(let r): return RPCError.response(id: id, result: r)
        case .failure(let e): return RPCError.response(id: id, error: RPCError.object(e))
        }
    }

    private func requestDone() {
        inFlight -= 1
        if state == .closing && inFlight == 0 { closeGracefully() }
    }

    // MARK: output

    @discardableResult
    private func send(_ message: JSON) -> Bool {
        guard state != .closed, stream.isOpen else { return false }
        message.serialize(into: &output)
        output.append(0x0A)
        return coalescing ? true : flushOutput()
    }

    /// Writes `{"jsonrpc":"2.0","id":…,"result"|"error":…}` without building
    /// the envelope object (same bytes as `RPCError.response(…).serialized()`).
    private func sendResponse(id: JSON, _ result: Result<JSON, DispatchError>) {
        guard state != .closed, stream.isOpen else { return }
        output.append(contentsOf: ControlConnection.responsePrefix)
        id.serialize(into: &output)
        switch result {
        case .success(let r):
            output.append(contentsOf: ControlConnection.resultKey)
            r.serialize(into: &output)
        case .failure(let e):
            output.append(contentsOf: ControlConnection.errorKey)
            RPCError.object(e).serialize(into: &output)
        }
        output.append(UInt8(ascii: "}"))
        output.append(0x0A)
        if !coalescing { flushOutput() }
    }

    /// Hands `output` to the stream in one write; drops a client whose unread
    /// bytes pass `maxOutboundBytes`. Returns false if the client is gone.
    @discardableResult
    private func flushOutput() -> Bool {
        guard !output.isEmpty else { return state != .closed }
        defer {
            if output.capacity > ControlConnection.retainedOutputCapacity { output = [] } else { output.removeAll(keepingCapacity: true) }
        }
        guard state != .closed, stream.isOpen else { return false }
        stream.write(output)
        if stream.queuedBytes > ControlServer.maxOutboundBytes {
            server.logger.warning("dropping a client that does not read",
                                  metadata: ["queued": "\(stream.queuedBytes)", "pid": "\(peerPID)"])
            teardown()
            return false
        }
        return true
    }

    func notify(_ method: String, _ params: JSON) -> Bool {
        guard state == .open else { return false }
        return send(["jsonrpc": "2.0", "method": .string(method), "params": params])
    }

    func addSubscription(_ id: String, onCancel: @escaping @KernelActor () -> Void) {
        subscriptions[id] = onCancel
    }

    func removeSubscription(_ id: String) {
        if let cancel = subscriptions.removeValue(forKey: id) { cancel() }
    }

    // MARK: closing

    /// Flushes queued output, then closes. `done` runs when closed.
    func finish(_ done: @escaping () -> Void) {
        if state == .closed { done(); return }
        closeWaiters.append(done)
        if inFlight == 0 { closeGracefully() } else { state = .closing }
    }

    private func closeGracefully() {
        guard state != .closed else { return }
        flushOutput()
        guard state != .closed else { return }
        state = .closing
        stopProbe()
        cancelSubscriptions()
        stream.stopReading()
        stream.shutdown { [weak self] _ in
            KernelActor.assumeIsolated { self?.teardown() }
        }
    }

    private func cancelSubscriptions() {
        let subs = subscriptions
        subscriptions = [:]
        for (_, cancel) in subs { cancel() }
    }

    /// Closes at once, dropping queued output.
    private func teardown() {
        guard state != .closed else { return }
        state = .closed
        stopProbe()
        cancelSubscriptions()
        close(stream) { $0.server.connectionClosed($0) }
    }
}
