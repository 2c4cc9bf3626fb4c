import KernelCore
import KernelDispatch
import KernelLoop
import Logging

/// An SSE response as a control-protocol `Session`: it calls the route's
/// subscribe method (e.g. `run.subscribe {id, after}`) with itself as the
/// session and turns the `run.event` notifications into frames through
/// `SSEEncoder`. Events carry their per-run `seq` as the SSE id; anything at
/// or below the last sent seq is skipped, so replay + live never duplicates.
/// A client whose unread bytes pass the queue bound is dropped (it resumes
/// with Last-Event-ID).
@KernelActor
package final class SSEStream: Session {
    /// Explicit stream state.
    enum State: Equatable {
        /// Subscribing; notifications are buffered until the subscription answered.
        case subscribing
        case live
        case closed
    }

    private weak var connection: HTTPConnection?
    let route: HTTPRoute
    let requestID: String
    let limits: HTTPLimits
    private(set) var state: State = .subscribing
    private var buffered: [(String, JSON)] = []
    private var lastSeq: Int64 = -1
    private var subscriptions: [String: @KernelActor () -> Void] = [:]
    private var heartbeat: Timer?
    private let streamLabel: String
    /// A single run's stream (seq ids, resume, de-duplication) rather than the dashboard feed.
    private var perRun: Bool { streamLabel == "run" }

    init(connection: HTTPConnection, route: HTTPRoute, requestID: String, limits: HTTPLimits) {
        self.connection = connection
        self.route = route
        self.requestID = requestID
        self.limits = limits
        streamLabel = route.pattern.hasSuffix("/stream") ? "run" : "events"
    }

    package var isOpen: Bool { state != .closed }

    /// Subscribes and starts the stream. Returns the HTTP status sent (200, or the error's).
    /// `headOnly` (a HEAD request): the subscription still runs, so an unknown run
    /// answers 404 as for GET, but only the head a GET would get is sent; the
    /// subscription is cancelled at once and the stream ends (the caller closes).
    func open(api: HTTPAPI, params: JSONObject, extraHeaders: [(String, String)], headOnly: Bool = false) async -> Int {
        guard case .stream(let subscribe, _) = route.action else { return 500 }
        if let after = params["after"]?.intValue { lastSeq = after }
        let context = CallContext(actor: api.context(requestID).actor, transport: .http, session: self, requestID: requestID)
        let result = await api.dispatcher.call(subscribe, params: .object(params), context: context)
        Metrics.methodCalls.increment(["method": subscribe, "outcome": result.outcomeLabel])
        guard let connection, state != .closed else { cancelSubscriptions(); return 499 }
        switch result {
        case .failure(let e):
            cancelSubscriptions()
            state = .closed
            var r = HTTPAPI.errorResponse(e.kernelError)
            r.headers += extraHeaders + [("X-Request-Id", requestID)]
            r.omitBody = headOnly
            _ = connection.writeStream(String(decoding: r.serialized(keepAlive: false), as: UTF8.self))
            return r.status
        case .success(let value):
            var head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\nCache-Control: no-cache\r\n"
            head += "Connection: close\r\nX-Accel-Buffering: no\r\nX-Request-Id: \(requestID)\r\n"
            for (k, v) in extraHeaders { head += "\(k): \(v)\r\n" }
            head += "\r\n"
            if headOnly {
                cancelSubscriptions()
                state = .closed
                _ = connection.writeStream(head)
                return 200
            }
            _ = connection.writeStream(head + SSEEncoder.retry(HTTPLimits.sseRetryMs))
            Metrics.sseClients.increment(["stream": streamLabel])
            state = .live
            startHeartbeat()
            // Stored events returned with the subscription, then what arrived meanwhile.
            if let events = value["events"]?.arrayValue {
                for e in events where state == .live { emit("run.event", e) }
            }
            let pending = buffered
            buffered = []
            for (m, p) in pending where state == .live { emit(m, p) }
            return 200
        }
    }

    // MARK: Session

    package func notify(_ method: String, _ params: JSON) -> Bool {
        switch state {
        case .closed: return false
        case .subscribing:
            buffered.append((method, params))
            if buffered.count > limits.sseQueueBytes / 64 { close(reason: "too many events while subscribing"); return false }
            return true
        case .live:
            emit(method, params)
            return state == .live
        }
    }

    package func addSubscription(_ id: String, onCancel: @escaping @KernelActor () -> Void) {
        subscriptions[id] = onCancel
    }

    package func removeSubscription(_ id: String) {
        if let cancel = subscriptions.removeValue(forKey: id) { cancel() }
    }

    // MARK: frames

    /// The event object inside a notification: `params.event` when present, else params itself.
    package nonisolated static func eventObject(_ params: JSON) -> JSON {
        if let inner = params["event"], case .object = inner { return inner }
        return params
    }

    /// Encodes one event. `id` is its `seq`, `event` its `type`, `data` the compact event JSON.
    nonisolated static func frame(_ method: String, _ params: JSON, withID: Bool = true) -> (seq: Int64?, type: String, text: String) {
        let event = eventObject(params)
        let seq = event["seq"]?.intValue
        let type = event["type"]?.stringValue ?? method
        let id = withID ? seq.map { String($0) } : nil
        return (seq, type, SSEEncoder.event(id: id, event: type, data: event.serialized()))
    }

    /// The last encoded frame: one event fanned out to many clients is encoded once.
    private static var lastFrame: (event: JSON, withID: Bool, frame: (seq: Int64?, type: String, text: String))?

    static func cachedFrame(_ method: String, _ params: JSON, withID: Bool) -> (seq: Int64?, type: String, text: String) {
        let event = eventObject(params)
        if let c = lastFrame, c.withID == withID, c.event["seq"] == event["seq"], c.event["run_id"] == event["run_id"],
           c.event == event {
            return c.frame
        }
        let f = frame(method, params, withID: withID)
        lastFrame = (event, withID, f)
        return f
    }

    private func emit(_ method: String, _ params: JSON) {
        guard state == .live, let connection else { return }
        // Per-run streams: the seq is the SSE id and the resume point. The dashboard feed mixes
        // runs (seqs are per run), so it carries no ids and is not de-duplicated.
        let f = SSEStream.cachedFrame(method, params, withID: perRun)
        if perRun, let seq = f.seq {
            if seq <= lastSeq { return }
            lastSeq = seq
        }
        guard connection.writeStream(f.text) else { connectionGone(); return }
        if connection.queuedBytes > limits.sseQueueBytes {
            Metrics.sseDropped.increment()
            connection.logFromStream("dropping a slow SSE client", ["queued": "\(connection.queuedBytes)",
                                                                     "last_seq": "\(lastSeq)", "request_id": "\(requestID)"])
            finish(graceful: false)
            return
        }
        startHeartbeat()
        if perRun && f.type == "end" { finish(graceful: true) }
    }

    private func startHeartbeat() {
        if heartbeat == nil { heartbeat = try? Timer(loop: KernelRuntime.loop) }
        heartbeat?.start(timeoutMs: limits.sseHeartbeatMs, repeatMs: limits.sseHeartbeatMs) { [weak self] in
            KernelActor.assumeIsolated {
                guard let self, self.state == .live, let c = self.connection else { return }
                if !c.writeStream(SSEEncoder.comment("heartbeat")) { self.connectionGone() }
            }
        }
    }

    // MARK: closing

    /// Ends the stream from the kernel side (shutdown): a final comment, then close.
    func close(reason: String) {
        guard state != .closed else { return }
        // Before the response head is out there is nothing to frame the comment in.
        if state == .live { _ = connection?.writeStream(SSEEncoder.comment(reason)) }
        finish(graceful: true)
    }

    private func finish(graceful: Bool) {
        guard markClosed() else { return }
        connection?.streamEnded(graceful: graceful)
    }

    /// The client went away.
    func connectionGone() {
        markClosed()
    }

    /// Closes the stream's side (heartbeat, subscriptions, the live-clients gauge). False when
    /// it was closed already.
    @discardableResult
    private func markClosed() -> Bool {
        guard state != .closed else { return false }
        let wasLive = state == .live
        state = .closed
        stopHeartbeat()
        cancelSubscriptions()
        if wasLive { Metrics.sseClients.decrement(["stream": streamLabel]) }
        return true
    }

    private func stopHeartbeat() {
        heartbeat?.close()
        heartbeat = nil
    }

    private func cancelSubscriptions() {
        let subs = subscriptions
        subscriptions = [:]
        for (_, cancel) in subs { cancel() }
    }
}
