import KernelCore
import KernelLoop
import Testing
@testable import KernelStore

/// Short ids: a unique id prefix stands for the id; an ambiguous one is a `conflict` naming the candidates.
@Suite("Short ids (both backends)")
@KernelActor
struct ShortIDTests {
    @Test("a unique prefix resolves; an ambiguous one is a conflict listing the candidates; a name still wins", arguments: Backend.enabled)
    func prefixes(_ backend: Backend) async throws {
        let fx = try await StoreFixture(backend)
        let store = try await fx.open()
        defer { Task { await store.close() } }
        var a = Make.component("alpha"), b = Make.component("beta")
        a.id = "abcd1234-0000-4000-8000-000000000001"
        b.id = "abcd5678-0000-4000-8000-000000000002"
        _ = try await store.createComponent(a, config: [:], audit: Make.audit("create", "component", a.id))
        _ = try await store.createComponent(b, config: [:], audit: Make.audit("create", "component", b.id))
        #expect(try await store.component("abcd1234").name == "alpha")
        #expect(try await store.component("ABCD5678").name == "beta")
        do {
            _ = try await store.component("abcd")
            Issue.record("an ambiguous prefix resolved")
        } catch let e as KernelError {
            #expect(e.kind == .conflict)
            #expect(e.message.contains(a.id) && e.message.contains(b.id), "\(e.message)")
        }
        // Too short to be a prefix, and a prefix nothing has: not found.
        await #expect(throws: KernelError.self) { _ = try await store.component("abc") }
        await #expect(throws: KernelError.self) { _ = try await store.component("ffff0000") }

        var r1 = Make.run("wf"), r2 = Make.run("wf")
        r1.id = "0123aaaa-0000-4000-8000-000000000001"
        r2.id = "0123bbbb-0000-4000-8000-000000000002"
        _ = try await store.createRun(r1, steps: [], audit: nil)
        _ = try await store.createRun(r2, steps: [], audit: nil)
        #expect(try await store.resolveRunID("0123aaaa") == r1.id)
        #expect(try await store.resolveRunID(r2.id) == r2.id)
        #expect(try await store.resolveRunID("ffffffff") == "ffffffff")
        do {
            _ = try await store.resolveRunID("0123")
            Issue.record("an ambiguous run prefix resolved")
        } catch let e as KernelError {
            #expect(e.kind == .conflict)
            #expect(e.message.contains("run id prefix '0123' is ambiguous"), "\(e.message)")
        }
    }
}
