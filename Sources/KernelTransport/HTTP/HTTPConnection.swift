import Glibc
import KernelCore
import KernelLoop
import Logging

/// One HTTP/1.1 client connection: parses (pipelined) requests, answers them
/// strictly in order, enforces the timeouts, and can turn into an SSE stream.
///
/// A client that closes the connection (EOF, or a failed write) while its request
/// is being answered is gone: the answering task is cancelled — a running
/// `connection.query` stops at the source — and the connection is torn down. (TCP
/// cannot tell a half-close from a close until a write fails; like most servers,
/// EOF during a request counts as the client leaving.)
@KernelActor
final class HTTPConnection: Draining {
    /// Explicit connection state.
    enum State: Equatable {
        /// Reading and answering requests.
        case open
        /// Turned into an SSE stream; no more requests are read.
        case streaming
        /// Answering what is queued, then closing (no more input is parsed).
        case closing
        case closed
    }

    /// What waits to be answered, in arrival order.
    private enum Item {
        case request(HTTPRequest)
        /// The parser failed: answer with this status, then close.
        case failure(HTTPRequestParser.Failure)
    }

    let stream: TCP
    private unowned let server: HTTPServer
    private let parser: HTTPRequestParser
    private(set) var state: State = .open
    private var queue: [Item] = []
    private var busy = false
    /// The task answering the request at the head of the queue (while `busy`).
    private var answering: Task<Void, Never>?
    private var timer: Timer?
    /// Armed when a request's first byte arrived; cleared when its headers completed.
    private var headerTimerArmed = false
    private var sse: SSEStream?
    private var eventSink: HTTPEventSink?
    var closeWaiters: [() -> Void] = []
    private var readPaused = false
    /// The write side is being shut down (closeGracefully ran).
    private var shuttingDown = false
    /// A blob download waiting for the socket to drain.
    private var drainWaiter: CheckedContinuation<Void, Never>?

    init(stream: TCP, server: HTTPServer) {
        self.stream = stream
        self.server = server
        parser = HTTPRequestParser(limits: server.limits)
    }

    var limits: HTTPLimits { server.limits }

    func start() {
        timer = try? Timer(loop: KernelRuntime.loop)
        parser.onExpectContinue = { [weak self] in
            KernelActor.assumeIsolated {
                // Only when nothing is ahead of it, so responses stay in order.
                guard let self, !self.busy, self.queue.isEmpty else { return }
                self.stream.write("HTTP/1.1 100 Continue\r\n\r\n")
            }
        }
        stream.onRead = { [weak self] buf in KernelActor.assumeIsolated { self?.received(buf) } }
        stream.onEnd = { [weak self] _ in KernelActor.assumeIsolated { self?.peerEnded() } }
        stream.onWriteError = { [weak self] _ in KernelActor.assumeIsolated { self?.clientGone("write failed") } }
        do { try stream.startReading() } catch { teardown(); return }
        rearm()
    }

    // MARK: input

    private func received(_ chunk: UnsafeRawBufferPointer) {
        switch state {
        case .open: break
        case .streaming: return  // SSE clients send nothing meaningful; only EOF matters
        case .closing, .closed: return
        }
        let requests = parser.feed(chunk)
        for r in requests { queue.append(.request(r)) }
        if let failure = parser.failure {
            queue.append(.failure(failure))
            state = .closing
            stream.stopReading()
        } else if queue.count > HTTPLimits.maxPipelinedRequests {
            stream.stopReading()
            readPaused = true
        }
        pump()
        rearm()
    }

    private func peerEnded() {
        if state == .streaming { teardown(); return }
        if busy { clientGone("closed the connection"); return }
        parser.finish()
        if state == .open, let failure = parser.failure, parser.state == .failed, !busy, queue.isEmpty,
           failure.message.hasPrefix("connection closed") {
            // A half-sent request followed by EOF: nobody to answer.
            teardown()
            return
        }
        if busy || !queue.isEmpty {
            state = .closing  // answer what was asked, then close
        } else {
            teardown()
        }
    }

    /// The client left while its request was answered: cancel that, drop the rest.
    private func clientGone(_ why: String) {
        guard state != .closed else { return }
        if let answering {
            server.logger.info("http client gone: cancelling its request", metadata: ["why": "\(why)"])
            answering.cancel()
        }
        teardown()
    }

    // MARK: timeouts

    private func rearm() {
        guard let timer, state != .closed else { return }
        if state == .streaming { timer.stop(); return }
        switch parser.state {
        case .headers:
            if !headerTimerArmed {
                headerTimerArmed = true
                timer.start(timeoutMs: limits.headerTimeoutMs) { [weak self] in
                    KernelActor.assumeIsolated { self?.timedOut(headers: true) }
                }
            }
        case .body:
            headerTimerArmed = false
            timer.start(timeoutMs: limits.idleTimeoutMs) { [weak self] in
                KernelActor.assumeIsolated { self?.timedOut(headers: false) }
            }
        case .idle, .failed:
            headerTimerArmed = false
            if busy || !queue.isEmpty {
                timer.stop()
            } else {
                timer.start(timeoutMs: limits.idleTimeoutMs) { [weak self] in
                    KernelActor.assumeIsolated { self?.timedOut(headers: false) }
                }
            }
        }
    }

    private func timedOut(headers: Bool) {
        guard state == .open || state == .closing else { return }
        if headers && !busy && queue.isEmpty {
            server.logger.info("http header timeout (slow client)", metadata: ["timeout_ms": "\(limits.headerTimeoutMs)"])
            let r = HTTPResponse.error(408, kind: "invalid_params",
                                       message: "request headers not complete within \(limits.headerTimeoutMs) ms")
            Metrics.httpRequests.increment(["route": "timeout", "method": "", "status": "408"])
            stream.write(r.serialized(keepAlive: false))
            closeGracefully()
        } else if !busy {
            closeGracefully()
        }
    }

    // MARK: answering in order

    private func pump() {
        guard !busy, state != .closed, state != .streaming, !queue.isEmpty else {
            if state == .closing && !busy && queue.isEmpty { closeGracefully() }
            return
        }
        let item = queue.removeFirst()
        if readPaused && queue.count <= HTTPLimits.maxPipelinedRequests / 2 && state == .open {
            readPaused = false
            try? stream.startReading()
        }
        switch item {
        case .failure(let f):
            let r = HTTPResponse.error(f.status, kind: f.status == 413 ? "too_large" : "invalid_params", message: f.message,
                                       headers: [("X-Request-Id", Identifier.uuid())])
            Metrics.httpRequests.increment(["route": "malformed", "method": "", "status": String(f.status)])
            server.logger.info("http bad request", metadata: ["status": "\(f.status)", "error": "\(f.message)"])
            queue = []
            stream.write(r.serialized(keepAlive: false))
            closeGracefully()
        case .request(let request):
            busy = true
            timer?.stop()
            answering = Task { @KernelActor in
                await self.answer(request)
                self.answering = nil
                self.busy = false
                if self.state == .open || self.state == .closing {
                    self.pump()
                    self.rearm()
                }
            }
        }
    }

    private func answer(_ request: HTTPRequest) async {
        let requestID = HTTPConnection.requestID(from: request)
        let t0 = MonotonicClock.milliseconds()
        let (outcome, label) = await server.api.handle(request, requestID: requestID)
        guard state != .closed else { return }
        switch outcome {
        case .response(var response):
            response.headers.append(("X-Request-Id", requestID))
            let keepAlive = request.keepAlive && state == .open
            finishRequest(request, label: label, status: response.status, requestID: requestID, t0: t0)
            stream.write(response.serialized(keepAlive: keepAlive))
            if stream.queuedBytes > HTTPLimits.maxOutboundBytes {
                server.logger.warning("dropping an HTTP client that does not read", metadata: ["request_id": "\(requestID)"])
                teardown()
                return
            }
            if !keepAlive { state = .closing; queue = [] }
        case .blob(var head, let digest, let size):
            head.headers.append(("X-Request-Id", requestID))
            let keepAlive = request.keepAlive && state == .open
            finishRequest(request, label: label, status: head.status, requestID: requestID, t0: t0)
            stream.write(head.serializedHead(contentLength: size, keepAlive: keepAlive))
            if head.omitBody { if !keepAlive { state = .closing; queue = [] }; return }
            guard await streamBlob(digest, size: size, requestID: requestID) else { return }
            if !keepAlive { state = .closing; queue = [] }
        case .stream(let route, let params, let extra):
            let sse = SSEStream(connection: self, route: route, requestID: requestID, limits: limits)
            self.sse = sse
            state = .streaming
            timer?.stop()
            queue = []
            let headOnly = request.method == "HEAD"
            let status = await sse.open(api: server.api, params: params, extraHeaders: extra, headOnly: headOnly)
            finishRequest(request, label: label, status: status, requestID: requestID, t0: t0)
            if status != 200 || headOnly {
                self.sse = nil
                state = .closing
            }
        case .events(let headers, let produce):
            state = .streaming
            timer?.stop()
            queue = []
            var head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\nCache-Control: no-cache\r\n"
            head += "Connection: close\r\nX-Accel-Buffering: no\r\nX-Request-Id: \(requestID)\r\n"
            for (k, v) in headers { head += "\(k): \(v)\r\n" }
            stream.write(head + "\r\n")
            finishRequest(request, label: label, status: 200, requestID: requestID, t0: t0)
            let sink = HTTPEventSink(connection: self)
            eventSink = sink
            await produce(sink)
            guard eventSink === sink else { return }
            eventSink = nil
            sink.connectionGone()
            if state != .closed { closeGracefully() }
        }
    }

    private func finishRequest(_ request: HTTPRequest, label: String, status: Int, requestID: String, t0: Double) {
        let seconds = (MonotonicClock.milliseconds() - t0) / 1000
        Metrics.httpRequests.increment(["route": label, "method": request.method, "status": String(status)])
        Metrics.httpDuration.observe(seconds, ["route": label])
        // Console file requests (static assets) are routine: debug; API calls stay at info.
        server.logger.log(level: label == "console" && status < 400 ? .debug : .info, "http", metadata: [
            "request_id": "\(requestID)", "method": "\(request.method)", "path": "\(request.rawPath)",
            "status": "\(status)", "ms": "\(Int((seconds * 1000).rounded()))",
        ])
    }

    /// The client's `X-Request-Id` when it is short visible ASCII, else a new UUID.
    static func requestID(from request: HTTPRequest) -> String {
        if let given = request.header("x-request-id"), !given.isEmpty, given.utf8.count <= 128,
           given.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) {
            return given
        }
        return Identifier.uuid()
    }

    /// Sends a blob's bytes chunk by chunk, waiting for the socket to drain below
    /// `HTTPLimits.maxOutboundBytes / 2` between chunks. False when the connection was torn
    /// down (a read failure mid-body cannot be reported in-band: the body is cut short).
    private func streamBlob(_ digest: String, size: Int64, requestID: String) async -> Bool {
        guard let reader = server.api.blobReader else { teardown(); return false }
        var sent: Int64 = 0
        while sent < size {
            guard state != .closed, stream.isOpen else { return false }
            let chunk: [UInt8]
            do { chunk = try await reader(digest, sent, ValueLimits.ioChunkBytes) } catch {
                server.logger.error("blob download failed", metadata: ["request_id": "\(requestID)", "error": "\(error)"])
                teardown()
                return false
            }
            guard !chunk.isEmpty, state != .closed else { teardown(); return false }
            stream.write(chunk)
            sent += Int64(chunk.count)
            while stream.queuedBytes > HTTPLimits.maxOutboundBytes / 2, state != .closed {
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    drainWaiter = c
                    stream.onDrain = { [weak self] in KernelActor.assumeIsolated { self?.drained() } }
                }
            }
            stream.onDrain = nil
        }
        return true
    }

    /// The socket drained (or the connection is gone): a waiting blob stream goes on.
    private func drained() {
        let w = drainWaiter
        drainWaiter = nil
        w?.resume()
    }

    // MARK: SSE output (used by SSEStream)

    /// Writes raw bytes of the stream; false when the connection is gone.
    func writeStream(_ text: String) -> Bool {
        guard state == .streaming || state == .closing, stream.isOpen else { return false }
        stream.write(text)
        return true
    }

    var queuedBytes: Int { stream.queuedBytes }

    /// The stream is over (end event, error, or dropped).
    func streamEnded(graceful: Bool) {
        sse = nil
        if graceful { closeGracefully() } else { teardown() }
    }

    // MARK: closing

    func finish(_ done: @escaping () -> Void) {
        if state == .closed { done(); return }
        closeWaiters.append(done)
        if let sse {
            sse.close(reason: "kernel shutting down")
            return
        }
        if let sink = eventSink {
            eventSink = nil
            sink.connectionGone()
            teardown()
            return
        }
        if busy { state = .closing } else { closeGracefully() }
    }

    private func closeGracefully() {
        guard state != .closed, !shuttingDown else { return }
        shuttingDown = true
        state = .closing
        timer?.stop()
        stream.stopReading()
        stream.shutdown { [weak self] _ in KernelActor.assumeIsolated { self?.teardown() } }
    }

    private func teardown() {
        guard state != .closed else { return }
        state = .closed
        drained()
        timer?.close()
        timer = nil
        if let sse { self.sse = nil; sse.connectionGone() }
        if let sink = eventSink { eventSink = nil; sink.connectionGone() }
        close(stream) { $0.server.connectionClosed($0) }
    }
}

extension HTTPConnection {
    func logFromStream(_ message: String, _ metadata: [String: String]) {
        var m = Logger.Metadata()
        for (k, v) in metadata { m[k] = "\(v)" }
        server.logger.warning("\(message)", metadata: m)
    }
}
