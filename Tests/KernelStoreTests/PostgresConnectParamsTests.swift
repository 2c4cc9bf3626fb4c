import KernelCore
import KernelLoop
import Testing
@testable import KernelStore

@Suite("PostgreSQL connection parameters")
struct PostgresConnectParamsTests {
    @Test("URIs parse into keywords; only a single named host needs a lookup")
    func parse() throws {
        let p = try PostgresConnectParams.parse("postgres://u:pw@db.example:6543/app?sslmode=disable")
        #expect(p.value("host") == "db.example")
        #expect(p.value("port") == "6543")
        #expect(p.value("dbname") == "app")
        #expect(p.value("user") == "u")
        #expect(p.value("sslmode") == "disable")
        #expect(p.needsResolution)
        #expect(try !PostgresConnectParams.parse("postgres://127.0.0.1:5432/x").needsResolution)
        #expect(try !PostgresConnectParams.parse("postgres://[::1]:5432/x").needsResolution)
        #expect(try !PostgresConnectParams.parse("host=/var/run/postgresql dbname=x").needsResolution)
        #expect(try !PostgresConnectParams.parse("postgres://localhost/x?hostaddr=127.0.0.1").needsResolution)
        #expect(throws: KernelError.self) { try PostgresConnectParams.parse("postgres://x:y@h:notaport/db?bogus_option=1") }
    }

    @Test("a host name is resolved off the loop and the connection works", arguments: Backend.enabled.filter { $0 == .postgres })
    @KernelActor
    func localhost(_ backend: Backend) async throws {
        let fx = try await StoreFixture(backend)
        let url = fx.url.replacing("127.0.0.1", with: "localhost")
        #expect(try PostgresConnectParams.parse(url).needsResolution)
        let c = try await PostgresConnection.connect(url)
        defer { c.close() }
        #expect(try await c.query("SELECT 40 + 2", []).first?.string(0) == "42")
    }
}
