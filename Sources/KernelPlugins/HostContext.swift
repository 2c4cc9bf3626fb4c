import Glibc
import KernelCore
import KernelLoop
import Logging
import MCPKPluginABI

/// The Swift side of one `mcpk_host` table: who the plugin is, where its log
/// lines and events go. Referenced from `mcpk_host.host_data`; callable from
/// any thread.
public final class HostContext: @unchecked Sendable {
    public typealias EventHandler = @Sendable (_ plugin: String, _ type: String, _ payload: JSON) -> Void

    private let lock = ConditionLock()
    private var _name: String
    private var _onEvent: EventHandler?
    private var logger: Logger

    public init(name: String, onEvent: EventHandler? = nil) {
        _name = name
        _onEvent = onEvent
        logger = Logger(label: "mcpk.plugin.\(name)")
    }

    public var name: String {
        get { lock.withLock { _name } }
        set { lock.withLock { _name = newValue; logger = Logger(label: "mcpk.plugin.\(newValue)") } }
    }

    public var onEvent: EventHandler? {
        get { lock.withLock { _onEvent } }
        set { lock.withLock { _onEvent = newValue } }
    }

    func log(level: Int32, message: String) {
        let l = lock.withLock { logger }
        switch level {
        case Int32(MCPK_LOG_DEBUG.rawValue): l.debug("\(message)")
        case Int32(MCPK_LOG_INFO.rawValue): l.info("\(message)")
        case Int32(MCPK_LOG_WARN.rawValue): l.warning("\(message)")
        default: l.error("\(message)")
        }
    }

    func emit(type: String, payload: JSON) {
        let (n, h) = lock.withLock { (_name, _onEvent) }
        h?(n, type, payload)
    }

    /// Kernel version reported to plugins.
    public static let kernelVersion = KernelVersion.current
    /// Never freed nor written after start-up, so sharing it across threads is safe.
    nonisolated(unsafe) private static let kernelVersionC: UnsafeMutablePointer<CChar> = strdup(kernelVersion)!

    /// Allocates a host table bound to this context. Freed by `freeTable`.
    func makeTable(abi: UInt32) -> UnsafeMutablePointer<mcpk_host> {
        let table = UnsafeMutablePointer<mcpk_host>.allocate(capacity: 1)
        table.initialize(to: mcpk_host())
        table.pointee.struct_size = MemoryLayout<mcpk_host>.size
        table.pointee.abi_version = abi
        table.pointee.kernel_version = UnsafePointer(HostContext.kernelVersionC)
        table.pointee.host_data = Unmanaged.passRetained(self).toOpaque()
        table.pointee.log = { data, level, message in
            guard let data, let message else { return }
            Unmanaged<HostContext>.fromOpaque(data).takeUnretainedValue()
                .log(level: level, message: String(cString: message))
        }
        table.pointee.emit_event = { data, type, payload in
            guard let data, let type else { return Int32(MCPK_STATUS_INVALID_ARGUMENT) }
            var value = JSON.null
            if let payload {
                guard let parsed = try? JSONParser.parse(String(cString: payload)) else {
                    return Int32(MCPK_STATUS_INVALID_ARGUMENT)
                }
                value = parsed
            }
            Unmanaged<HostContext>.fromOpaque(data).takeUnretainedValue().emit(type: String(cString: type), payload: value)
            return Int32(MCPK_STATUS_OK)
        }
        table.pointee.alloc = { size in malloc(size == 0 ? 1 : size) }
        table.pointee.free = { ptr in free(ptr) }
        return table
    }

    /// Host tables are deliberately never freed. A plugin keeps the
    /// `mcpk_host` pointer (typically in a global); when the same library is
    /// loaded twice in one process (two hosts, or a reload racing a call), the
    /// second init overwrites that global and the first table must stay valid
    /// for as long as any code might still use it. A table is ~80 bytes per load.
    static func freeTable(_ table: UnsafeMutablePointer<mcpk_host>) {
        _ = table
    }
}
