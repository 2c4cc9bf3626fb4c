import Glibc
import KernelCore
import MCPKPluginABI

/// Blocking connector calls. Thread rules of plugin.h apply: one thread at a
/// time per connection, `cancel` from any thread.
extension PluginLibrary {
    func requireConnector() throws -> UnsafePointer<mcpk_connector> {
        guard metadata.kinds.contains(.connector), let c = connector else {
            throw KernelError.invalidParams("plugin \(metadata.name) is not a connector")
        }
        return c
    }

    /// Opens a connection; the returned handle belongs to the caller until `closeConnection`.
    public func openConnection(config: JSON, secret: String?, connectTimeoutMs: Int64) throws -> OpaquePointer {
        let c = try requireConnector()
        guard case .object(let object) = config else {
            throw KernelError.invalidParams("connection config must be an object", errors: [FieldError("config", "expected object")])
        }
        var keys: [UnsafeMutablePointer<CChar>?] = []
        var values: [UnsafeMutablePointer<CChar>?] = []
        for (key, value) in object {
            let text: String?
            switch value {
            case .string(let s): text = s
            case .int(let i): text = String(i)
            case .double(let d): text = String(d)
            case .bool(let b): text = b ? "true" : "false"
            default: text = nil
            }
            if let text { keys.append(strdup(key)); values.append(strdup(text)) }
        }
        let configText = strdup(config.serialized())
        let secretText = secret.map { strdup($0) } ?? nil
        defer {
            for p in keys + values { free(p) }
            free(configText)
            if let secretText {
                memset(secretText, 0, strlen(secretText))
                free(secretText)
            }
        }
        var out: OpaquePointer?
        var err = mcpk_error()
        let status: Int32 = keys.withUnsafeBufferPointer { kp in
            values.withUnsafeBufferPointer { vp in
                var args = mcpk_connect_args()
                args.struct_size = MemoryLayout<mcpk_connect_args>.size
                args.config_json = UnsafePointer(configText)
                args.secret = secretText.map { UnsafePointer($0) }
                args.option_keys = UnsafeRawPointer(kp.baseAddress).map { $0.assumingMemoryBound(to: UnsafePointer<CChar>?.self) }
                args.option_values = UnsafeRawPointer(vp.baseAddress).map { $0.assumingMemoryBound(to: UnsafePointer<CChar>?.self) }
                args.option_count = kp.count
                args.connect_timeout_ms = connectTimeoutMs
                return c.pointee.open(pluginData, &args, &out, &err)
            }
        }
        if status != Int32(MCPK_STATUS_OK) { throw PluginFailure(status: status, consuming: &err) }
        PluginFailure.release(&err)
        guard let out else { throw PluginFailure(status: .internal, message: "connector \(metadata.name) returned OK from open without a connection") }
        return out
    }

    public func closeConnection(_ conn: OpaquePointer) {
        connector?.pointee.close(conn)
    }

    /// Round trip; returns the server version if the plugin reports one.
    public func testConnection(_ conn: OpaquePointer) throws -> String? {
        let c = try requireConnector()
        guard let test = c.pointee.test else { throw PluginFailure(status: .notImplemented, message: "connector \(metadata.name) has no test") }
        var version = mcpk_string()
        var err = mcpk_error()
        let status = test(conn, &version, &err)
        if status != Int32(MCPK_STATUS_OK) {
            _ = mcpk_string.take(&version)
            throw PluginFailure(status: status, consuming: &err)
        }
        PluginFailure.release(&err)
        return mcpk_string.take(&version)
    }

    public func cancelConnection(_ conn: OpaquePointer) {
        if let cancel = connector?.pointee.cancel { _ = cancel(conn) }
    }

    public func scanConnection(_ conn: OpaquePointer, depth: Int32, schema: String?, table: String?) throws -> JSON {
        let c = try requireConnector()
        guard let scan = c.pointee.scan else { throw PluginFailure(status: .notImplemented, message: "connector \(metadata.name) has no scan") }
        var out = mcpk_string()
        var err = mcpk_error()
        let schemaC = schema.map { strdup($0) } ?? nil
        let tableC = table.map { strdup($0) } ?? nil
        defer { free(schemaC); free(tableC) }
        var args = mcpk_scan_args()
        args.struct_size = MemoryLayout<mcpk_scan_args>.size
        args.depth = depth
        args.schema = schemaC.map { UnsafePointer($0) }
        args.table = tableC.map { UnsafePointer($0) }
        let status = scan(conn, &args, &out, &err)
        if status != Int32(MCPK_STATUS_OK) {
            _ = mcpk_string.take(&out)
            throw PluginFailure(status: status, consuming: &err)
        }
        PluginFailure.release(&err)
        guard let text = mcpk_string.take(&out) else { throw PluginFailure(status: .internal, message: "scan returned no JSON") }
        do { return try JSONParser.parse(text) } catch {
            throw PluginFailure(status: .internal, message: "connector \(metadata.name) returned invalid scan JSON")
        }
    }

    /// Runs one statement, streaming to `sink`.
    public func execute(_ conn: OpaquePointer, _ query: QueryRequest, sink: RowSink) throws {
        let c = try requireConnector()
        let box = SinkBox(sink)
        let sqlC = strdup(query.sql)
        let paramsC = strdup(JSON.array(query.params).serialized())
        var owned: [UnsafeMutablePointer<CChar>] = []
        defer { free(sqlC); free(paramsC); for p in owned { p.deallocate() } }
        var values: [mcpk_value] = query.params.map { $0.pluginValue(owning: &owned) }
        var err = mcpk_error()
        let status: Int32 = values.withUnsafeMutableBufferPointer { vp in
            var q = mcpk_query()
            q.struct_size = MemoryLayout<mcpk_query>.size
            q.sql = UnsafePointer(sqlC)
            q.params_json = UnsafePointer(paramsC)
            q.params = UnsafePointer(vp.baseAddress)
            q.param_count = vp.count
            q.max_rows = query.maxRows
            q.timeout_ms = query.timeoutMs
            var s = SinkBox.table(for: box)
            return withExtendedLifetime(box) { c.pointee.execute(conn, &q, &s, &err) }
        }
        if status != Int32(MCPK_STATUS_OK) {
            // The collector stopped the plugin at its row limit: that is a truncated success.
            if let collector = sink as? RowLimiting, collector.stoppedByLimit {
                PluginFailure.release(&err)
                collector.end(truncated: true, rowsAffected: nil)
                return
            }
            throw PluginFailure(status: status, consuming: &err)
        }
        PluginFailure.release(&err)
        if !box.ended { sink.end(truncated: false, rowsAffected: nil) }
    }
}

/// Bridges the C row sink callbacks to a Swift `RowSink`.
final class SinkBox {
    let sink: RowSink
    /// The same sink when it takes typed cells directly (cast once, not per row).
    let cellSink: CellRowSink?
    var ended = false
    var columnCount = 0

    init(_ sink: RowSink) {
        self.sink = sink
        cellSink = sink as? CellRowSink
    }

    static func typeName(_ t: Int32) -> String {
        switch UInt32(bitPattern: t) {
        case MCPK_TYPE_NULL.rawValue: return "null"
        case MCPK_TYPE_BOOL.rawValue: return "bool"
        case MCPK_TYPE_INT64.rawValue: return "int64"
        case MCPK_TYPE_DOUBLE.rawValue: return "double"
        case MCPK_TYPE_BYTES.rawValue: return "bytes"
        default: return "text"
        }
    }

    static func json(_ v: mcpk_value) -> JSON {
        switch UInt32(bitPattern: v.type) {
        case MCPK_TYPE_BOOL.rawValue: return .bool(v.v.b != 0)
        case MCPK_TYPE_INT64.rawValue: return .int(v.v.i)
        case MCPK_TYPE_DOUBLE.rawValue: return v.v.d.isFinite ? .double(v.v.d) : .string(String(v.v.d))
        case MCPK_TYPE_TEXT.rawValue:
            guard let d = v.v.s.data else { return .null }
            return .string(String(decoding: UnsafeRawBufferPointer(start: d, count: v.v.s.length), as: UTF8.self))
        case MCPK_TYPE_BYTES.rawValue:
            guard let d = v.v.s.data else { return .null }
            return .string(Base64.encode(UnsafeRawBufferPointer(start: d, count: v.v.s.length)))
        default: return .null
        }
    }

    static func table(for box: SinkBox) -> mcpk_row_sink {
        var s = mcpk_row_sink()
        s.struct_size = MemoryLayout<mcpk_row_sink>.size
        s.sink_data = Unmanaged.passUnretained(box).toOpaque()
        s.columns = { data, cols, count in
            guard let data else { return Int32(MCPK_STATUS_INVALID_ARGUMENT) }
            let box = Unmanaged<SinkBox>.fromOpaque(data).takeUnretainedValue()
            var out: [QueryColumn] = []
            if let cols {
                for i in 0..<count {
                    let c = cols[i]
                    out.append(QueryColumn(name: c.name.map { String(cString: $0) } ?? "?column?",
                                           type: SinkBox.typeName(c.type), typeName: c.type_name.map { String(cString: $0) }))
                }
            }
            box.columnCount = out.count
            return box.sink.columns(out) ? Int32(MCPK_STATUS_OK) : Int32(MCPK_STATUS_CANCELLED)
        }
        s.row = { data, cells, count in
            guard let data else { return Int32(MCPK_STATUS_INVALID_ARGUMENT) }
            let box = Unmanaged<SinkBox>.fromOpaque(data).takeUnretainedValue()
            if let fast = box.cellSink {
                return fast.cells(UnsafeBufferPointer(start: cells, count: cells == nil ? 0 : count))
                    ? Int32(MCPK_STATUS_OK) : Int32(MCPK_STATUS_CANCELLED)
            }
            var row: [JSON] = []
            row.reserveCapacity(count)
            if let cells { for i in 0..<count { row.append(SinkBox.json(cells[i])) } }
            return box.sink.row(row) ? Int32(MCPK_STATUS_OK) : Int32(MCPK_STATUS_CANCELLED)
        }
        s.end = { data, truncated, affected in
            guard let data else { return Int32(MCPK_STATUS_INVALID_ARGUMENT) }
            let box = Unmanaged<SinkBox>.fromOpaque(data).takeUnretainedValue()
            box.ended = true
            box.sink.end(truncated: truncated != 0, rowsAffected: affected >= 0 ? affected : nil)
            return Int32(MCPK_STATUS_OK)
        }
        return s
    }
}
