import KernelCore
import KernelEngine
import KernelStore

extension Kernel {
    /// Setting: the kernel-wide hard limit on one step result, in bytes (a `K`/`M`/`G` suffix
    /// means KiB/MiB/GiB); a component's `maxResultBytes` overrides it.
    nonisolated static let maxResultBytesVariable = "MCPK_MAX_RESULT_BYTES"

    /// The blob store of this kernel's store (`$MCPK_HOME/blobs` for SQLite, chunk rows for
    /// PostgreSQL so every kernel of the database shares it) and the engine's value spool.
    func makeValueSpool(_ store: any Store) throws -> ValueSpool {
        var limit = ValueLimits.defaultMaxResultBytes
        if let raw = configuration.settings[Kernel.maxResultBytesVariable] {
            guard let n = Kernel.parseByteSize(raw), n > 0 else {
                throw KernelError.invalidParams("\(Kernel.maxResultBytesVariable) must be a positive byte count such as 1073741824 or 512M (got '\(raw)')")
            }
            limit = n
        }
        let blobs: BlobStore
        if store.kind == .postgres {
            blobs = PostgresBlobStore(conninfo: configuration.databaseURL, location: configuration.redactedDatabaseURL + " (blob_chunks)")
        } else {
            blobs = try FileBlobStore(root: configuration.home + "/blobs")
        }
        return ValueSpool(blobs: blobs, maxResultBytes: limit)
    }

    /// `1048576`, `512K`, `20M`, `1G` (binary units) → bytes.
    static func parseByteSize(_ raw: String) -> Int64? {
        var text = raw.uppercased()
        if text.hasSuffix("IB") { text.removeLast(2) } else if text.hasSuffix("B") { text.removeLast() }
        let scale: Int64
        switch text.last {
        case "K": scale = 1 << 10
        case "M": scale = 1 << 20
        case "G": scale = 1 << 30
        default: scale = 1
        }
        if scale > 1 { text.removeLast() }
        guard let n = Int64(text), n >= 0, n <= Int64.max / scale else { return nil }
        return n * scale
    }
}
