import KernelCore
import KernelLoop
import KernelStore

extension Kernel {
    /// Opens the store of `configuration.databaseURL` (migrations applied) and
    /// closes it last on shutdown.
    func openStore() async throws {
        guard store == nil else { return }
        let opened = try await StoreFactory.open(url: configuration.databaseURL, home: configuration.home)
        store = opened
        onShutdown("store") { [unowned self] in
            await self.store?.close()
            self.store = nil
        }
        addStatus("store_open") { [unowned self] in .bool(self.store != nil) }
    }

    /// The open store, or `unavailable`.
    public func requireStore() throws -> any Store {
        guard let store else { throw KernelError.unavailable("the store is not open") }
        return store
    }
}
