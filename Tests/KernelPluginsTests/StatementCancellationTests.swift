import PluginTestSupport
import KernelCore
import KernelLoop
import KernelPlugins
import Testing

/// A statement's own cancellation on a shared connection: a cancel that comes before
/// the connector started the statement is not lost, and it never stops another
/// caller's statement (calls on a connection run one at a time).
@Suite struct StatementCancellationTests {
    /// Long enough that a lost cancel shows as a statement that succeeds.
    static let longSleep = "sleep 60000"

    @Test(arguments: PluginIsolation.allCases) @KernelActor
    func aCancelBeforeTheStatementStartedIsNotLost(isolation: PluginIsolation) async throws {
        let host = try await ConnectorCallTests.host(isolation)
        let conn = try await host.connect(plugin: "testops", config: [:], secret: nil)
        // Cancelled before the call: the statement never runs.
        let early = StatementCancellation()
        early.cancel()
        await #expect(throws: KernelError.self) { _ = try await conn.query(QueryRequest(sql: "seq 1"), cancellation: early) }
        // Cancelled at once, whether or not the connector has started it yet: it stops.
        let atOnce = StatementCancellation()
        async let stopped = conn.query(QueryRequest(sql: Self.longSleep), cancellation: atOnce)
        atOnce.cancel()
        do {
            _ = try await stopped
            Issue.record("the cancel was lost: the statement ran to its end")
        } catch {
            #expect(error is KernelError, "\(error)")
        }
        #expect(try await conn.query(QueryRequest(sql: "seq 1")).rows.count == 1)
        await conn.close()
        await host.shutdown()
    }

    @Test(arguments: PluginIsolation.allCases) @KernelActor
    func cancellingAQueuedStatementLeavesTheRunningOneAlone(isolation: PluginIsolation) async throws {
        let host = try await ConnectorCallTests.host(isolation)
        let conn = try await host.connect(plugin: "testops", config: [:], secret: nil)
        let queued = StatementCancellation()
        // `first` holds the connection; `second` waits for its turn and is cancelled (while it
        // waits or, on a slow machine, once it runs): only `second` stops.
        async let first = conn.query(QueryRequest(sql: "sleep 300"))
        async let second = conn.query(QueryRequest(sql: Self.longSleep), cancellation: queued)
        queued.cancel()
        #expect(try await first.rows == [[300]])
        do {
            _ = try await second
            Issue.record("the cancel was lost: the statement ran to its end")
        } catch {
            #expect(error is KernelError, "\(error)")
        }
        await conn.close()
        await host.shutdown()
    }
}
