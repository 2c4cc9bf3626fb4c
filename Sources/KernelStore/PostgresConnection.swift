import CLibPQ
import Glibc
import KernelCore
import KernelLoop

/// One libpq connection driven without blocking the loop: `PQconnectStart` /
/// `PQconnectPoll`, `PQsetnonblocking`, `PQsendQueryParams` + `PQflush`, and
/// `PQconsumeInput` / `PQisBusy` / `PQgetResult` whenever a `Poll` on
/// `PQsocket` reports readiness. Loop-thread only.
@KernelActor
public final class PostgresConnection {
    /// Explicit connection state machine.
    public enum State: Equatable {
        case connecting
        case idle
        case busy
        case closed
    }

    static let connectTimeoutMilliseconds: UInt64 = 30_000
    /// How often a wait re-checks readiness itself (a missed libuv wake-up costs at most this).
    static let readinessRecheckMilliseconds: UInt64 = 250
    /// A statement that gets no answer for this long closes its connection (`unavailable`);
    /// PQcancel would block, so the connection is dropped instead.
    public static let defaultQueryTimeoutMilliseconds: UInt64 = 120_000

    /// Per-connection statement deadline (see `defaultQueryTimeoutMilliseconds`).
    public var queryTimeoutMilliseconds: UInt64 = PostgresConnection.defaultQueryTimeoutMilliseconds

    private var conn: OpaquePointer?
    private var poll: Poll?
    public private(set) var state: State = .connecting
    /// Server process id (for `pg_terminate_backend` in tests and diagnostics).
    public private(set) var backendPID: Int32 = 0

    private init() {}

    /// Opens a connection; throws `unavailable` if the server cannot be reached.
    /// Opens a connection from a URL or conninfo string. A host name is resolved
    /// on a short-lived worker thread (see `PostgresConnectParams`).
    public static func connect(_ conninfo: String) async throws -> PostgresConnection {
        let params = try PostgresConnectParams.parse(conninfo)
        if params.needsResolution {
            let worker = WorkerThread(name: "pg-resolve")
            defer { worker.stop() }
            return try await connect(params.resolved(on: worker))
        }
        return try await connect(params.withKeepaliveDefaults())
    }

    /// Opens a connection from parsed parameters (with `hostaddr` when the host is a name).
    public static func connect(_ params: PostgresConnectParams) async throws -> PostgresConnection {
        let c = PostgresConnection()
        do {
            try await c.start(params)
        } catch {
            c.close()
            throw error
        }
        return c
    }

    private func start(_ params: PostgresConnectParams) async throws {
        let kw = params.keywords.map { strdup($0) } + [nil]
        let vals = params.values.map { strdup($0) } + [nil]
        defer {
            for p in kw { free(p) }
            for p in vals { free(p) }
        }
        let started: OpaquePointer? = kw.map { $0.map { UnsafePointer($0) } }.withUnsafeBufferPointer { k in
            vals.map { $0.map { UnsafePointer($0) } }.withUnsafeBufferPointer { v in
                PQconnectStartParams(k.baseAddress, v.baseAddress, 0)
            }
        }
        guard let conn = started else { throw KernelError.unavailable("PostgreSQL: out of memory") }
        self.conn = conn
        if PQstatus(conn) == CONNECTION_BAD { throw brokenError("cannot connect") }
        let deadline = KernelRuntime.loop.now + PostgresConnection.connectTimeoutMilliseconds
        var status = PGRES_POLLING_WRITING
        while true {
            switch status {
            case PGRES_POLLING_OK:
                guard PQsetnonblocking(conn, 1) == 0 else { throw brokenError("cannot enter non-blocking mode") }
                // Server notices (e.g. "already exists, skipping") are not errors: keep them off stderr.
                PQsetNoticeProcessor(conn, { _, _ in }, nil)
                backendPID = PQbackendPID(conn)
                state = .idle
                return
            case PGRES_POLLING_FAILED:
                throw brokenError("cannot connect")
            case PGRES_POLLING_READING:
                try await wait(.readable, deadline: deadline)
            default:
                try await wait(.writable, deadline: deadline)
            }
            status = PQconnectPoll(conn)
        }
    }

    /// Waits until the socket is ready for `events` (optionally with a deadline on the loop clock).
    ///
    /// A socket that is ready already (the usual case for the first write of a connect) is not
    /// waited on. Otherwise a `Poll` wakes us; a timer also re-checks readiness every
    /// `readinessRecheckMilliseconds`, so readiness the poll has not delivered yet (its
    /// registration waits for the loop's next I/O phase, which a busy loop delays) costs at most
    /// that long. A timeout names what libuv and epoll saw (`Poll.diagnosis`).
    private func wait(_ events: Poll.Events, deadline: UInt64? = nil) async throws {
        guard let conn else { throw KernelError.unavailable("PostgreSQL connection is closed") }
        let fd = PQsocket(conn)
        guard fd >= 0 else { throw brokenError("no socket") }
        if PostgresConnection.isReady(fd: fd, events) { return }
        if poll == nil || poll?.fd != fd {
            poll?.stop()
            poll?.close()
            poll = try Poll(loop: KernelRuntime.loop, fd: fd)
        }
        guard let poll else { throw KernelError.unavailable("PostgreSQL: no poll handle") }
        let loop = KernelRuntime.loop
        let started = loop.now
        var timer: Timer?
        defer { timer?.close() }
        try await withCheckedThrowingContinuation { (cont: CheckedContinuation<Void, Error>) in
            var done = false
            do {
                let every = PostgresConnection.readinessRecheckMilliseconds
                let t = try Timer(loop: loop)
                timer = t
                t.start(timeoutMs: every, repeatMs: every) {
                    KernelActor.assumeIsolated {
                        guard !done else { return }
                        let now = loop.now
                        // libuv runs due timers before polling for I/O: the socket may be ready
                        // although no poll callback ran yet.
                        if PostgresConnection.isReady(fd: fd, events) {
                            done = true
                            poll.stop()
                            cont.resume()
                        } else if let deadline, now >= deadline {
                            done = true
                            let diagnosis = poll.diagnosis
                            poll.stop()
                            cont.resume(throwing: KernelError.unavailable(
                                "PostgreSQL: connection timed out (waited \(now &- started) ms for \(events.contains(.readable) ? "readable" : "writable"); \(diagnosis))"))
                        }
                    }
                }
            } catch {
                done = true
                cont.resume(throwing: error)
                return
            }
            do {
                try poll.start(events.union(.disconnect)) { status, _ in
                    guard !done else { return }
                    done = true
                    poll.stop()
                    if status < 0 {
                        cont.resume(throwing: KernelError.unavailable("PostgreSQL socket error \(status)"))
                    } else {
                        cont.resume()
                    }
                }
            } catch {
                if !done {
                    done = true
                    cont.resume(throwing: error)
                }
            }
        }
    }

    /// Non-blocking readiness check (`poll(2)` with a zero timeout).
    static func isReady(fd: Int32, _ events: Poll.Events) -> Bool {
        var want: Int16 = 0
        if events.contains(.readable) { want |= Int16(POLLIN) }
        if events.contains(.writable) { want |= Int16(POLLOUT) }
        var p = pollfd(fd: fd, events: want, revents: 0)
        return Glibc.poll(&p, 1, 0) > 0 && p.revents != 0
    }

    /// Runs one statement (`$n` placeholders) with text parameters; returns its rows.
    public func query(_ sql: String, _ params: [SQLValue]) async throws -> [SQLRow] {
        guard let conn, state == .idle else {
            throw KernelError.unavailable(state == .closed ? "PostgreSQL connection is closed" : "PostgreSQL connection is busy")
        }
        state = .busy
        var cStrings: [UnsafeMutablePointer<CChar>?] = params.map { p in p.postgresText.flatMap { strdup($0) } }
        defer {
            for p in cStrings { free(p) }
            if state == .busy { state = .idle }
        }
        let sent = cStrings.withUnsafeMutableBufferPointer { buf -> Int32 in
            guard let base = buf.baseAddress, buf.count > 0 else {
                return PQsendQueryParams(conn, sql, 0, nil, nil, nil, nil, 0)
            }
            return base.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: buf.count) { values in
                PQsendQueryParams(conn, sql, Int32(buf.count), nil, values, nil, nil, 0)
            }
        }
        guard sent == 1 else { throw brokenOrInternal("cannot send query") }
        let deadline = KernelRuntime.loop.now + queryTimeoutMilliseconds
        func waitOrDrop(_ events: Poll.Events) async throws {
            do {
                try await wait(events, deadline: deadline)
            } catch {
                markBroken()
                throw KernelError.unavailable("PostgreSQL did not answer: \((error as? KernelError)?.message ?? "\(error)")")
            }
        }
        // Flush the query out without blocking.
        while true {
            let r = PQflush(conn)
            if r == 0 { break }
            if r < 0 { throw brokenOrInternal("cannot send query") }
            try await waitOrDrop([.readable, .writable])
            if PQconsumeInput(conn) == 0 { throw brokenOrInternal("connection lost") }
        }
        var rows: [SQLRow] = []
        var failure: KernelError?
        while true {
            while PQisBusy(conn) != 0 {
                try await waitOrDrop(.readable)
                if PQconsumeInput(conn) == 0 { throw brokenOrInternal("connection lost") }
            }
            guard let res = PQgetResult(conn) else { break }
            defer { PQclear(res) }
            switch PQresultStatus(res) {
            case PGRES_TUPLES_OK, PGRES_COMMAND_OK:
                let n = PQntuples(res), m = PQnfields(res)
                rows.reserveCapacity(rows.count + Int(n))
                for i in 0..<n {
                    var cells: [SQLCell] = []
                    cells.reserveCapacity(Int(m))
                    for j in 0..<m {
                        if PQgetisnull(res, i, j) != 0 {
                            cells.append(.null)
                        } else {
                            cells.append(.text(String(cString: PQgetvalue(res, i, j))))
                        }
                    }
                    rows.append(SQLRow(cells))
                }
            default:
                if failure == nil { failure = resultError(res) }
            }
        }
        if PQstatus(conn) == CONNECTION_BAD {
            markBroken()
            throw failure.map { KernelError.unavailable($0.message) } ?? KernelError.unavailable("PostgreSQL connection lost")
        }
        if let failure { throw failure }
        return rows
    }

    /// Maps a failed result to a KernelError by SQLSTATE class.
    private func resultError(_ res: OpaquePointer) -> KernelError {
        let code = PQresultErrorField(res, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? ""
        let message = PQresultErrorMessage(res).map { String(cString: $0) }.map { $0.trimmedLines } ?? "query failed"
        return PostgresConnection.error(sqlstate: code, message: message)
    }

    static func error(sqlstate code: String, message: String) -> KernelError {
        switch code {
        case "23505": return .conflict("already exists: \(message)")
        case "23503", "23514", "23502": return .conflict("constraint failed: \(message)")
        case "40001", "40P01": return KernelError(.unavailable, "retryable: \(message)", errors: [FieldError("sqlstate", code)])
        case "22P02", "22003", "22023": return .invalidParams(message)
        default:
            if code.hasPrefix("08") || code.hasPrefix("57") || code.hasPrefix("53") {
                return .unavailable("PostgreSQL: \(message)")
            }
            return .internal("PostgreSQL error \(code): \(message)")
        }
    }

    /// True while the connection is usable. Non-blocking: reads whatever the
    /// server sent while idle (a termination notice, then EOF).
    public var isAlive: Bool {
        guard let conn, state == .idle else { return false }
        if PQconsumeInput(conn) == 0 || PQstatus(conn) != CONNECTION_OK {
            markBroken()
            return false
        }
        return true
    }

    /// The notifications (`LISTEN`) received so far as (channel, payload), reading whatever the
    /// server sent without blocking; nil once the connection is broken (it is closed then).
    public func takeNotifications() -> [(channel: String, payload: String)]? {
        guard let conn, state == .idle else { return nil }
        if PQconsumeInput(conn) == 0 || PQstatus(conn) != CONNECTION_OK {
            markBroken()
            return nil
        }
        var out: [(channel: String, payload: String)] = []
        while let n = PQnotifies(conn) {
            out.append((String(cString: n.pointee.relname), String(cString: n.pointee.extra)))
            PQfreemem(n)
        }
        return out
    }

    /// Waits until the server sends something while idle (a notification, an error, EOF).
    public func waitUntilReadable() async throws {
        guard state == .idle else { throw KernelError.unavailable("PostgreSQL connection is closed") }
        try await wait(.readable)
    }

    private func markBroken() {
        close()
    }

    private func brokenError(_ what: String) -> KernelError {
        let detail = conn.flatMap { PQerrorMessage($0) }.map { String(cString: $0).trimmedLines } ?? ""
        return .unavailable("PostgreSQL: \(what)\(detail.isEmpty ? "" : ": " + detail)")
    }

    private func brokenOrInternal(_ what: String) -> KernelError {
        let e = brokenError(what)
        if let conn, PQstatus(conn) == CONNECTION_BAD { markBroken() }
        return e
    }

    /// Stops polling, then closes the socket (in that order: libuv must not watch a closed fd).
    public func close() {
        poll?.stop()
        poll?.close()
        poll = nil
        if let conn { PQfinish(conn) }
        conn = nil
        state = .closed
    }
}

extension String {
    var trimmedLines: String {
        split(whereSeparator: { $0 == "\n" || $0 == "\r" }).map { $0.trimmingCharacters(in: " \t") }.filter { !$0.isEmpty }.joined(separator: " ")
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> String {
        var s = self
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
