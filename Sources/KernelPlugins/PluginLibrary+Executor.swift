import Glibc
import KernelCore
import MCPKPluginABI

/// Owned by the host for one `invoke` call: `mcpk_invocation.host_data` points at it.
private final class InvocationBox {
    let callbacks: InvocationCallbacks
    init(_ callbacks: InvocationCallbacks) { self.callbacks = callbacks }

    static func from(_ p: UnsafeMutableRawPointer?) -> InvocationBox? {
        p.map { Unmanaged<InvocationBox>.fromOpaque($0).takeUnretainedValue() }
    }
}

/// Fills a caller-zeroed `mcpk_error` with a host-owned message (freed by its `release`).
/// Fills `err` from a thrown error and returns the ABI status it maps to (a plugin's own
/// failure keeps its status; kernel errors map by kind; anything else is INTERNAL).
func fillHostError(_ err: UnsafeMutablePointer<mcpk_error>?, for error: Error) -> Int32 {
    switch error {
    case let f as PluginFailure:
        fillHostError(err, f.message)
        return f.status.rawValue
    case let e as KernelError:
        fillHostError(err, e.message)
        return PluginStatus(kernelError: e).rawValue
    default:
        fillHostError(err, "\(error)")
        return PluginStatus.internal.rawValue
    }
}

func fillHostError(_ err: UnsafeMutablePointer<mcpk_error>?, _ message: String) {
    guard let err else { return }
    err.pointee.message = strdup(message)
    err.pointee.release = { e in
        guard let e else { return }
        free(e.pointee.message)
        e.pointee = mcpk_error()
    }
}

/// A NUL-terminated copy of `s` owned by the caller (release with `deallocate()`). Never nil:
/// out of memory traps like every Swift allocation.
func hostCString(_ s: String) -> UnsafeMutablePointer<CChar> {
    let bytes = Array(s.utf8)
    let p = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
    bytes.withUnsafeBufferPointer { b in
        if let base = b.baseAddress { memcpy(p, base, b.count) }
    }
    p[bytes.count] = 0
    return p
}

/// A host-produced `mcpk_string` (its copy is freed by its `release`).
func fillHostString(_ out: UnsafeMutablePointer<mcpk_string>?, _ text: String) {
    guard let out else { return }
    let bytes = Array(text.utf8)
    let buf = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
    bytes.withUnsafeBufferPointer { b in
        if let base = b.baseAddress { memcpy(buf, base, b.count) }
    }
    buf[bytes.count] = 0
    out.pointee.data = buf
    out.pointee.length = bytes.count
    out.pointee.private_data = nil
    out.pointee.release = { s in
        guard let s else { return }
        s.pointee.data?.deallocate()
        s.pointee = mcpk_string()
    }
}

extension PluginLibrary {
    /// Whether the executor table has `plan` / `invoke`.
    public var executorCanPlan: Bool { executor?.pointee.plan != nil }
    public var executorCanInvoke: Bool { executor?.pointee.invoke != nil }

    /// Calls `plan`: the process spec JSON. A plugin failure is thrown as `PluginFailure`.
    public func plan(_ step: ExecutorStep) throws -> JSON {
        guard let plan = executor?.pointee.plan else {
            throw KernelError.invalidParams("executor \(metadata.name) cannot plan processes")
        }
        var out = mcpk_string()
        var err = mcpk_error()
        let status = PluginLibrary.withStep(step) { plan(pluginData, $0, &out, &err) }
        let text = mcpk_string.take(&out)
        guard status == PluginStatus.ok.rawValue else { throw PluginFailure(status: status, consuming: &err) }
        PluginFailure.release(&err)
        guard let text else { throw KernelError.internal("plan of \(metadata.name) returned no spec") }
        do { return try JSONParser.parse(text) } catch {
            throw KernelError.internal("plan of \(metadata.name) returned malformed JSON: \(error)")
        }
    }

    /// Whether the executor has `finish`.
    public var executorCanFinish: Bool { executor?.pointee.finish != nil }

    /// Calls `finish`; nil when the executor has none (the default applies: the fd 3
    /// result is the result, a failure fails the step). A failure status is thrown as
    /// `PluginFailure` whose message becomes the step error.
    public func finish(_ step: ExecutorStep, outcome: ExecutorOutcome) throws -> JSON? {
        guard let finish = executor?.pointee.finish else { return nil }
        var out = mcpk_string()
        var err = mcpk_error()
        let tails: [String] = [outcome.stderrTail, outcome.stdoutTail]
        let strings = tails.map { hostCString($0) }
        let result = outcome.resultJSON.map { hostCString($0) }
        let error = outcome.errorJSON.map { hostCString($0) }
        defer {
            for p in strings { p.deallocate() }
            result?.deallocate()
            error?.deallocate()
        }
        var o = mcpk_outcome()
        o.struct_size = MemoryLayout<mcpk_outcome>.size
        o.exit_code = outcome.exitCode
        o.term_signal = outcome.termSignal
        o.timed_out = outcome.timedOut ? 1 : 0
        o.cancelled = outcome.cancelled ? 1 : 0
        o.result_json = result.map { UnsafePointer($0) }
        o.error_json = error.map { UnsafePointer($0) }
        o.stderr_tail = UnsafePointer(strings[0])
        o.stdout_tail = UnsafePointer(strings[1])
        let status = PluginLibrary.withStep(step) { s in withUnsafePointer(to: &o) { finish(pluginData, s, $0, &out, &err) } }
        let text = mcpk_string.take(&out)
        guard status == PluginStatus.ok.rawValue else { throw PluginFailure(status: status, consuming: &err) }
        PluginFailure.release(&err)
        guard let text, let v = try? JSONParser.parse(text) else { return .null }
        return v
    }

    /// Calls the executor's `invoke` on the calling thread (a dedicated plugin
    /// thread) and returns the result JSON. Blocks until the plugin returns.
    /// A non-OK status is thrown as `PluginFailure` (the plugin's message).
    public func invoke(_ step: ExecutorStep, callbacks: InvocationCallbacks) throws -> JSON {
        guard let table = executor, let invoke = table.pointee.invoke else {
            throw KernelError.invalidParams("plugin \(metadata.name) has no invoke")
        }
        let box = Unmanaged.passRetained(InvocationBox(callbacks))
        defer { box.release() }
        var inv = mcpk_invocation()
        inv.struct_size = MemoryLayout<mcpk_invocation>.size
        inv.host_data = box.toOpaque()
        inv.emit = { data, type, payload in
            guard let box = InvocationBox.from(data), let type else { return PluginStatus.invalidArgument.rawValue }
            let text = payload.map { String(cString: $0) } ?? "{}"
            return box.callbacks.emit(type: String(cString: type), payload: text).rawValue
        }
        inv.is_cancelled = { data in
            guard let box = InvocationBox.from(data) else { return 1 }
            return box.callbacks.isCancelled() ? 1 : 0
        }
        inv.query = { data, connection, query, sink, err in
            guard let box = InvocationBox.from(data), let connection, let query, let sink else {
                fillHostError(err, "query needs a connection, a query and a sink")
                return PluginStatus.invalidArgument.rawValue
            }
            return PluginLibrary.invocationQuery(box.callbacks, String(cString: connection), query, sink, err)
        }
        inv.call_op = { data, plugin, op, args, out, err in
            guard let box = InvocationBox.from(data), let plugin, let op else {
                fillHostError(err, "call_op needs a plugin and an op name")
                return PluginStatus.invalidArgument.rawValue
            }
            if box.callbacks.isCancelled() {
                fillHostError(err, "cancelled")
                return PluginStatus.cancelled.rawValue
            }
            let argv: [JSON]
            do {
                let parsed = try JSONParser.parse(args.map { String(cString: $0) } ?? "[]")
                guard let a = parsed.arrayValue else { throw KernelError.invalidParams("args_json must be a JSON array") }
                argv = a
            } catch {
                fillHostError(err, "call_op: args_json is not a JSON array")
                return PluginStatus.invalidArgument.rawValue
            }
            do {
                let value = try box.callbacks.callOp(plugin: String(cString: plugin), op: String(cString: op), args: argv)
                fillHostString(out, value.serialized())
                return PluginStatus.ok.rawValue
            } catch {
                return fillHostError(err, for: error)
            }
        }
        var out = mcpk_string()
        var err = mcpk_error()
        let status: Int32 = PluginLibrary.withStep(step) { s in
            withUnsafePointer(to: &inv) { invoke(pluginData, s, $0, &out, &err) }
        }
        let text = mcpk_string.take(&out)
        guard status == PluginStatus.ok.rawValue else {
            throw PluginFailure(status: status, consuming: &err)
        }
        PluginFailure.release(&err)
        guard let text else { return .null }
        do { return try JSONParser.parse(text) } catch {
            throw PluginFailure(status: .internal, message: "invoke returned a result that is not JSON")
        }
    }

    /// Runs the query through the host and feeds the plugin's sink on this thread.
    private static func invocationQuery(_ callbacks: InvocationCallbacks, _ connection: String,
                                        _ q: UnsafePointer<mcpk_query>, _ sink: UnsafePointer<mcpk_row_sink>,
                                        _ err: UnsafeMutablePointer<mcpk_error>?) -> Int32 {
        guard let sqlC = q.pointee.sql else {
            fillHostError(err, "query.sql is NULL")
            return PluginStatus.invalidArgument.rawValue
        }
        var params: [JSON] = []
        if let p = q.pointee.params_json {
            guard let parsed = try? JSONParser.parse(String(cString: p)), let a = parsed.arrayValue else {
                fillHostError(err, "query.params_json is not a JSON array")
                return PluginStatus.invalidArgument.rawValue
            }
            params = a
        }
        let request = QueryRequest(sql: String(cString: sqlC), params: params,
                                   maxRows: q.pointee.max_rows, timeoutMs: max(0, q.pointee.timeout_ms))
        let feed = SinkFeed(sink: sink.pointee, callbacks: callbacks)
        do { try callbacks.queryStream(connection: connection, request: request) { feed.deliver($0) } } catch {
            // The plugin's own sink stopped the statement: its status, not the statement's.
            if feed.status != PluginStatus.ok.rawValue { return feed.status }
            return fillHostError(err, for: error)
        }
        return feed.status
    }

    private static func cType(_ name: String) -> Int32 {
        switch name {
        case "bool": return Int32(MCPK_TYPE_BOOL.rawValue)
        case "int64": return Int32(MCPK_TYPE_INT64.rawValue)
        case "double": return Int32(MCPK_TYPE_DOUBLE.rawValue)
        case "bytes": return Int32(MCPK_TYPE_BYTES.rawValue)
        case "null": return Int32(MCPK_TYPE_NULL.rawValue)
        default: return Int32(MCPK_TYPE_TEXT.rawValue)
        }
    }

    /// Feeds the plugin's `mcpk_row_sink` (columns, rows, end) on the plugin's thread; strings
    /// are host-owned for each call. A bytes column's cells (base64 text in the kernel's JSON
    /// form) reach the plugin as `MCPK_TYPE_BYTES` again.
    final class SinkFeed {
        let sink: mcpk_row_sink
        let callbacks: InvocationCallbacks
        /// OK, or the first non-OK status the plugin's sink returned (or CANCELLED).
        private(set) var status = PluginStatus.ok.rawValue
        private var bytesColumns: [Bool] = []

        init(sink: mcpk_row_sink, callbacks: InvocationCallbacks) {
            self.sink = sink
            self.callbacks = callbacks
        }

        func deliver(_ item: RowRelay.Item) -> Bool {
            guard status == PluginStatus.ok.rawValue else { return false }
            switch item {
            case .columns(let columns): status = self.columns(columns)
            case .row(let row): status = callbacks.isCancelled() ? PluginStatus.cancelled.rawValue : self.row(row)
            case .end(let truncated, let affected):
                if let end = sink.end { status = end(sink.sink_data, truncated ? 1 : 0, affected ?? -1) }
            }
            return status == PluginStatus.ok.rawValue
        }

        private func columns(_ columns: [QueryColumn]) -> Int32 {
            var owned: [UnsafeMutablePointer<CChar>] = []
            defer { for p in owned { p.deallocate() } }
            bytesColumns = columns.map { $0.type == "bytes" }
            var cols: [mcpk_column] = columns.map { c in
                let n = hostCString(c.name)
                owned.append(n)
                var col = mcpk_column()
                col.name = UnsafePointer(n)
                col.type = PluginLibrary.cType(c.type)
                if let t = c.typeName {
                    let tn = hostCString(t)
                    owned.append(tn)
                    col.type_name = UnsafePointer(tn)
                }
                return col
            }
            guard let fn = sink.columns else { return PluginStatus.ok.rawValue }
            return cols.withUnsafeMutableBufferPointer { fn(sink.sink_data, $0.baseAddress, $0.count) }
        }

        private func row(_ row: [JSON]) -> Int32 {
            guard let fn = sink.row else { return PluginStatus.ok.rawValue }
            var owned: [UnsafeMutablePointer<CChar>] = []
            defer { for p in owned { p.deallocate() } }
            var cells: [mcpk_value] = row.enumerated().map { i, cell in
                if i < bytesColumns.count, bytesColumns[i], let text = cell.stringValue, let raw = Base64.decode(text) {
                    let p = UnsafeMutablePointer<CChar>.allocate(capacity: max(raw.count, 1))
                    _ = raw.withUnsafeBufferPointer { b in b.baseAddress.map { memcpy(p, $0, raw.count) } }
                    owned.append(p)
                    var v = mcpk_value()
                    v.type = Int32(MCPK_TYPE_BYTES.rawValue)
                    v.v.s.data = UnsafePointer(p)
                    v.v.s.length = raw.count
                    return v
                }
                return cell.pluginValue(owning: &owned)
            }
            return cells.withUnsafeMutableBufferPointer { fn(sink.sink_data, $0.baseAddress, $0.count) }
        }
    }

    /// A `mcpk_step` valid for the duration of `body`.
    static func withStep<T>(_ step: ExecutorStep, _ body: (UnsafePointer<mcpk_step>) -> T) -> T {
        let call = step.call
        let strings = [call.componentType, call.config.serialized(), call.inputs.serialized(), call.workDirectory,
                       call.runId, call.stepId]
        let owned = strings.map { hostCString($0) }
        let secrets = step.secrets.map { hostCString($0.serialized()) }
        let runtime = call.runtimeDirectory.map { hostCString($0) }
        defer {
            for p in owned { p.deallocate() }
            if let secrets {
                memset(secrets, 0, strlen(secrets))  // wipe the plaintext
                secrets.deallocate()
            }
            runtime?.deallocate()
        }
        var s = mcpk_step()
        s.struct_size = MemoryLayout<mcpk_step>.size
        s.component_type = UnsafePointer(owned[0])
        s.config_json = UnsafePointer(owned[1])
        s.inputs_json = UnsafePointer(owned[2])
        // No work dir (a MCPK_TYPE_NO_WORK_DIR type, ABI 1.3.0): NULL, as plugin.h says.
        s.work_dir = call.workDirectory.isEmpty ? nil : UnsafePointer(owned[3])
        s.run_id = UnsafePointer(owned[4])
        s.step_id = UnsafePointer(owned[5])
        s.attempt = Int32(truncatingIfNeeded: call.attempt)
        s.secrets_json = secrets.map { UnsafePointer($0) }
        s.runtime_dir = runtime.map { UnsafePointer($0) }
        return withUnsafePointer(to: &s) { body($0) }
    }
}
