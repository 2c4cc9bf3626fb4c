import Glibc
import KernelCore
import KernelLoop
import MCPKPluginABI

/// One plugin shared library loaded into this process: `dlopen`, ABI
/// negotiation, validation of the tables it filled, and blocking calls into
/// them. The calls block: callers run them on worker threads (in the kernel)
/// or on the child's threads (`mcpk plugin-host`).
public final class PluginLibrary: @unchecked Sendable {
    public let path: String
    public let metadata: PluginMetadata
    let context: HostContext
    private var handle: UnsafeMutableRawPointer?
    private let plugin: UnsafeMutablePointer<mcpk_plugin>
    private let host: UnsafeMutablePointer<mcpk_host>
    private var opFunctions: [String: (signature: OpSignature, fn: UnsafeMutableRawPointer)] = [:]
    /// Extra operations of one plugin are called one at a time (plugin.h).
    private let opLock = ConditionLock()
    private var closed = false
    private let closeLock = ConditionLock()

    /// Loads `path` and initialises the plugin, offering each supported ABI newest first.
    public static func load(path: String, context: HostContext) throws -> PluginLibrary {
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown dlopen error"
            throw PluginLoadError.openFailed("cannot open \(path): \(reason)")
        }
        guard let sym = dlsym(handle, MCPK_PLUGIN_INIT_SYMBOL) else {
            let adbc = adbcEntryPoint(handle, path: path)
            dlclose(handle)
            if let adbc { throw PluginLoadError.adbcDriver(adbc) }
            throw PluginLoadError.noSymbol("\(path) does not export \(MCPK_PLUGIN_INIT_SYMBOL); not an mcpk plugin")
        }
        let initFn = unsafeBitCast(sym, to: mcpk_plugin_init_fn.self)
        let outSize = MemoryLayout<mcpk_plugin>.size
        let plugin = UnsafeMutablePointer<mcpk_plugin>.allocate(capacity: 1)
        var host: UnsafeMutablePointer<mcpk_host>?
        func cleanup() {
            plugin.deallocate()
            if let host { HostContext.freeTable(host) }
            dlclose(handle)
        }
        var accepted: UInt32?
        for abi in PluginABI.supportedVersions {
            if let h = host { HostContext.freeTable(h) }
            host = context.makeTable(abi: abi)
            plugin.initialize(to: mcpk_plugin())
            var err = mcpk_error()
            let status = initFn(abi, host, plugin, outSize, &err)
            if status == Int32(MCPK_STATUS_NOT_IMPLEMENTED) {
                PluginFailure.release(&err)
                continue
            }
            if status != Int32(MCPK_STATUS_OK) {
                let failure = PluginFailure(status: status, consuming: &err)
                cleanup()
                throw PluginLoadError.initFailed("mcpk_plugin_init failed (\(failure.status.name)): \(failure.message)")
            }
            PluginFailure.release(&err)
            accepted = abi
            break
        }
        guard let abi = accepted, let hostTable = host else {
            let offered = PluginABI.supportedVersions.map(PluginABI.describe).joined(separator: ", ")
            cleanup()
            throw PluginLoadError.wrongABI("plugin supports none of the host's ABI versions (\(offered))")
        }
        do {
            let (metadata, ops) = try validate(plugin: plugin.pointee, asked: abi, handle: handle)
            context.name = metadata.name
            return PluginLibrary(path: path, metadata: metadata, context: context, handle: handle,
                                 plugin: plugin, host: hostTable, ops: ops)
        } catch {
            if let release = plugin.pointee.release { release(plugin) }
            cleanup()
            throw error
        }
    }

    /// The ADBC init symbol a library exports (`AdbcDriverInit`, else the name the
    /// ADBC driver manager derives from the file: `libadbc_driver_sqlite.so` →
    /// `AdbcDriverSqliteInit`), or nil.
    static func adbcEntryPoint(_ handle: UnsafeMutableRawPointer, path: String) -> String? {
        if dlsym(handle, "AdbcDriverInit") != nil { return "AdbcDriverInit" }
        var stem = PluginHost.libraryStem(path)
        if stem.hasPrefix("adbc_driver_") { stem.removeFirst("adbc_driver_".count) }
        let derived = "AdbcDriver" + stem.split(whereSeparator: { $0 == "_" || $0 == "-" })
            .map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined() + "Init"
        return dlsym(handle, derived) != nil ? derived : nil
    }

    private init(path: String, metadata: PluginMetadata, context: HostContext, handle: UnsafeMutableRawPointer,
                 plugin: UnsafeMutablePointer<mcpk_plugin>, host: UnsafeMutablePointer<mcpk_host>,
                 ops: [String: (OpSignature, UnsafeMutableRawPointer)]) {
        self.path = path
        self.metadata = metadata
        self.context = context
        self.handle = handle
        self.plugin = plugin
        self.host = host
        self.opFunctions = ops.mapValues { (signature: $0.0, fn: $0.1) }
    }

    private static func string(_ p: UnsafePointer<CChar>?) -> String? { p.map { String(cString: $0) } }

    private static func validate(plugin p: mcpk_plugin, asked: UInt32, handle: UnsafeMutableRawPointer) throws
        -> (PluginMetadata, [String: (OpSignature, UnsafeMutableRawPointer)]) {
        let accepted = p.abi_version
        if p.struct_size < PluginABI.minPluginSize {
            throw PluginLoadError.tableTooSmall("mcpk_plugin.struct_size is \(p.struct_size), ABI \(PluginABI.describe(asked)) needs at least \(PluginABI.minPluginSize)")
        }
        // Any version the host offers (supportedVersions), at most the one asked for: a
        // 1.0.0 plugin answering OK to 1.1.0 runs as 1.0.0.
        if !PluginABI.supportedVersions.contains(p.abi_version) || p.abi_version > asked {
            throw PluginLoadError.wrongABI("plugin filled ABI \(PluginABI.describe(p.abi_version)) (\(p.abi_version)) but was asked for \(PluginABI.describe(asked)) (the host speaks \(PluginABI.supportedVersions.map(PluginABI.describe).joined(separator: ", ")))")
        }
        guard let name = string(p.name), PluginLibrary.isValidName(name) else {
            throw PluginLoadError.invalidMetadata("plugin name missing or not [a-z0-9_-]+")
        }
        guard let version = string(p.version), !version.isEmpty else {
            throw PluginLoadError.invalidMetadata("plugin \(name) has no version")
        }
        let kinds = PluginKinds(rawValue: p.kinds)
        if kinds.isEmpty { throw PluginLoadError.invalidMetadata("plugin \(name) declares no kind") }
        if kinds.contains(.connector) {
            guard let c = p.connector else {
                throw PluginLoadError.invalidMetadata("plugin \(name) is a connector but has no connector table")
            }
            if c.pointee.struct_size < PluginABI.minConnectorSize {
                throw PluginLoadError.tableTooSmall("mcpk_connector.struct_size is \(c.pointee.struct_size), ABI \(PluginABI.describe(accepted)) needs at least \(PluginABI.minConnectorSize)")
            }
            if c.pointee.open == nil || c.pointee.close == nil || c.pointee.execute == nil {
                throw PluginLoadError.invalidMetadata("connector \(name) lacks open, close or execute")
            }
        }
        var componentTypes: [String] = []
        var typeDefinitions: [ComponentTypeDefinition] = []
        if kinds.contains(.executor) {
            guard let e = p.executor else {
                throw PluginLoadError.invalidMetadata("plugin \(name) is an executor but has no executor table")
            }
            if e.pointee.struct_size < PluginABI.minExecutorSize {
                throw PluginLoadError.tableTooSmall("mcpk_executor.struct_size is \(e.pointee.struct_size), ABI \(PluginABI.describe(accepted)) needs at least \(PluginABI.minExecutorSize)")
            }
            if e.pointee.plan == nil && e.pointee.invoke == nil {
                throw PluginLoadError.invalidMetadata("executor \(name) has neither plan nor invoke")
            }
            if e.pointee.component_type_count > 0, let types = e.pointee.component_types {
                for i in 0..<min(e.pointee.component_type_count, PluginABI.maxComponentTypes) {
                    if let t = types[i] { componentTypes.append(String(cString: t)) }
                }
            }
            if accepted >= PluginABI.version1_2_0, e.pointee.struct_size >= PluginABI.executorSize1_2_0 {
                typeDefinitions = try componentTypeDefinitions(e.pointee, plugin: name, abi: accepted)
                for d in typeDefinitions where !componentTypes.contains(d.name.rawValue) { componentTypes.append(d.name.rawValue) }
            }
        }
        var schema: JSON?
        if let s = string(p.config_schema_json) {
            do { schema = try JSONParser.parse(s) } catch {
                throw PluginLoadError.invalidMetadata("plugin \(name): config_schema_json is not valid JSON")
            }
        }
        var ops: [PluginMetadata.Op] = []
        var fns: [String: (OpSignature, UnsafeMutableRawPointer)] = [:]
        if p.op_count > 0 {
            guard let list = p.ops else { throw PluginLoadError.invalidMetadata("plugin \(name): op_count > 0 but ops is NULL") }
            for i in 0..<min(p.op_count, 1024) {
                let op = list[i]
                guard let opName = string(op.name), let sigText = string(op.signature) else {
                    throw PluginLoadError.invalidMetadata("plugin \(name): op \(i) has no name or signature")
                }
                let sig: OpSignature
                do { sig = try OpSignature(parsing: sigText) } catch {
                    throw PluginLoadError.invalidMetadata("plugin \(name): op \(opName): \(error)")
                }
                var fn: UnsafeMutableRawPointer?
                if let f = op.fn { fn = unsafeBitCast(f, to: UnsafeMutableRawPointer.self) }
                else if let sym = string(op.symbol) { fn = dlsym(handle, sym) }
                guard let fn else {
                    throw PluginLoadError.invalidMetadata("plugin \(name): op \(opName) has no function (fn NULL and symbol not found)")
                }
                ops.append(.init(name: opName, signature: sigText, description: string(op.description)))
                fns[opName] = (sig, fn)
            }
        }
        let meta = PluginMetadata(name: name, version: version, description: string(p.description), kinds: kinds,
                                  abiVersion: accepted, configSchema: schema, ops: ops, componentTypes: componentTypes,
                                  componentTypeDefinitions: typeDefinitions)
        return (meta, fns)
    }

    /// Copies and checks `mcpk_executor.type_defs` (ABI 1.2.0): every problem of every
    /// declaration at once, with its path, refuses the load.
    private static func componentTypeDefinitions(_ e: mcpk_executor, plugin name: String, abi: UInt32) throws -> [ComponentTypeDefinition] {
        guard e.type_def_count > 0 else { return [] }
        guard let defs = e.type_defs else { throw PluginLoadError.invalidMetadata("plugin \(name): type_def_count > 0 but type_defs is NULL") }
        if e.type_def_count > PluginABI.maxComponentTypes {
            throw PluginLoadError.invalidMetadata("plugin \(name) declares \(e.type_def_count) component types; the limit is \(PluginABI.maxComponentTypes)")
        }
        var out: [ComponentTypeDefinition] = []
        var problems: [FieldError] = []
        for i in 0..<e.type_def_count {
            let d = defs[i]
            let path = "type_defs[\(i)]"
            if d.struct_size < PluginABI.minComponentTypeSize {
                problems.append(FieldError(FieldDefinition.join(path, "struct_size"), "is \(d.struct_size), ABI 1.2.0 needs at least \(PluginABI.minComponentTypeSize)"))
                continue
            }
            let typeName = string(d.name) ?? ""
            var schema: JSON = .null
            if let text = string(d.config_schema_json) {
                do { schema = try JSONParser.parse(text) } catch {
                    problems.append(FieldError(FieldDefinition.join(path, "config_schema_json"), "is not valid JSON: \(error)"))
                }
            } else {
                problems.append(FieldError(FieldDefinition.join(path, "config_schema_json"), "is required"))
            }
            var secrets: [String] = []
            if d.secret_field_count > 0 {
                if let list = d.secret_fields {
                    for j in 0..<min(d.secret_field_count, ComponentTypeDefinition.maxSecretFields + 1) { secrets.append(string(list[j]) ?? "") }
                } else {
                    problems.append(FieldError(FieldDefinition.join(path, "secret_fields"), "is NULL but secret_field_count is \(d.secret_field_count)"))
                }
            }
            let execution: ComponentTypeDefinition.Execution
            switch d.execution {
            case UInt32(MCPK_EXECUTION_SANDBOX.rawValue):
                execution = .sandbox
                if e.plan == nil { problems.append(FieldError(FieldDefinition.join(path, "execution"), "is MCPK_EXECUTION_SANDBOX but the executor has no plan")) }
            case UInt32(MCPK_EXECUTION_IN_PROCESS.rawValue):
                execution = .inProcess
                if e.invoke == nil { problems.append(FieldError(FieldDefinition.join(path, "execution"), "is MCPK_EXECUTION_IN_PROCESS but the executor has no invoke")) }
            default:
                problems.append(FieldError(FieldDefinition.join(path, "execution"), "must be MCPK_EXECUTION_SANDBOX (1) or MCPK_EXECUTION_IN_PROCESS (2) (got \(d.execution))"))
                continue
            }
            // `flags` (ABI 1.3.0) fills what was padding: only a 1.3.0 plugin's value means anything.
            let flags = abi >= PluginABI.version1_3_0 ? d.flags : 0
            if flags & ~PluginABI.knownTypeFlags != 0 {
                problems.append(FieldError(FieldDefinition.join(path, "flags"), "has unknown bits \(flags & ~PluginABI.knownTypeFlags) (this host knows MCPK_TYPE_NO_WORK_DIR = 1)"))
            }
            let workDirectory = flags & UInt32(MCPK_TYPE_NO_WORK_DIR) == 0
            if !workDirectory && execution == .sandbox {
                problems.append(FieldError(FieldDefinition.join(path, "flags"), "MCPK_TYPE_NO_WORK_DIR is for MCPK_EXECUTION_IN_PROCESS types (a sandboxed process always has a work dir)"))
            }
            if !schema.isNull {
                problems += ComponentTypeDefinition.problems(name: typeName, schema: schema, secretFields: secrets, path: path)
            }
            if out.contains(where: { $0.name.rawValue == typeName }) {
                problems.append(FieldError(FieldDefinition.join(path, "name"), "declares '\(typeName)' twice"))
            }
            out.append(ComponentTypeDefinition(name: ComponentType(typeName), description: string(d.description) ?? "", schema: schema,
                                               secretFields: secrets, execution: execution, plugin: name, workDirectory: workDirectory))
        }
        if !problems.isEmpty {
            throw PluginLoadError.invalidMetadata("plugin \(name): invalid component type declarations: "
                                                  + problems.map { "\($0.path): \($0.message)" }.joined(separator: "; "))
        }
        return out
    }

    static func isValidName(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 64 && s.utf8.allSatisfy {
            ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 || $0 == 45
        }
    }

    /// Calls the plugin's `release` and unloads the library. Callers make sure
    /// every connection was closed first. Idempotent.
    public func close() {
        let already = closeLock.withLock { () -> Bool in
            if closed { return true }
            closed = true
            return false
        }
        if already { return }
        if let release = plugin.pointee.release { release(plugin) }
        plugin.deallocate()
        HostContext.freeTable(host)
        if let handle { dlclose(handle) }
        handle = nil
    }

    var connector: UnsafePointer<mcpk_connector>? { plugin.pointee.connector }
    var executor: UnsafePointer<mcpk_executor>? { plugin.pointee.executor }
    var pluginData: UnsafeMutableRawPointer? { plugin.pointee.private_data }

    func opFunction(_ name: String) -> (signature: OpSignature, fn: UnsafeMutableRawPointer)? { opFunctions[name] }

    /// Runs `body` holding the plugin's op lock (ops are called one at a time).
    func withOpLock<T>(_ body: () throws -> T) rethrows -> T { try opLock.withLock(body) }

    var hostTable: UnsafePointer<mcpk_host> { UnsafePointer(host) }
}

extension PluginLibrary {
    /// Calls an extra operation through libffi (one at a time per plugin).
    public func callOp(_ name: String, args: [JSON]) throws -> JSON {
        guard let op = opFunction(name) else {
            throw KernelError.notFound("plugin \(metadata.name) has no op \(name)")
        }
        return try withOpLock { try OpCaller.call(op: name, signature: op.signature, fn: op.fn, args: args) }
    }
}
