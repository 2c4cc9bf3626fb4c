import KernelCore
import KernelDispatch
import KernelLoop
import KernelStore

extension Kernel {
    /// Opens the store selected by `DATABASE_URL` (migrations run here) and
    /// closes it last on shutdown.
    package func openStore() async throws {
        let store = try await StoreFactory.open(url: configuration.databaseURL, home: configuration.home)
        self.store = store
        onShutdown("store") { [weak self] in
            await store.close()
            self?.store = nil
        }
        logger.info("store open", metadata: ["kind": "\(store.kind.rawValue)", "url": "\(configuration.redactedDatabaseURL)"])
    }

    /// The open store, or `unavailable` before start / after shutdown.
    public func requireStore() throws -> any Store {
        guard let store else { throw KernelError.unavailable("the store is not open") }
        return store
    }

    /// An audit entry for `context`'s actor (ids and time filled in).
    public func auditEntry(_ context: CallContext, action: String, entityType: String, entityID: String, details: JSON = [:]) -> ActionLog {
        ActionLog.entry(actor: context.actor, action: action, entityType: entityType, entityID: entityID, details: details)
    }
}
