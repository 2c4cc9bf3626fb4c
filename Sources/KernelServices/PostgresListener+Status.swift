import KernelCore
import KernelStore

/// The `listener` entry of the `cluster` section of `dashboard.health` and `kernel.status`
/// (fields: `MethodReplies.clusterSection`).
extension PostgresListener {
    var statusSection: JSON {
        ["state": .string(state.rawValue), "channels": .array(channels.map { .string($0) }), "reconnects": JSON(reconnects),
         "notifications": JSON(notificationsReceived), "last_error": lastError.map { .string($0) } ?? .null]
    }
}
