import Glibc
import Testing
import KernelCore
import KernelLoop
@testable import KernelStore

/// The backends the shared suite runs against. PostgreSQL needs
/// `MCPK_TEST_PG_URL` (set by `make test`); without it the PostgreSQL cases are
/// skipped with a message, except under `CI=true`, where they fail.
enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres

    var testDescription: String { rawValue }

    static var pgURL: String? {
        guard let p = getenv("MCPK_TEST_PG_URL") else { return nil }
        let s = String(cString: p)
        return s.isEmpty ? nil : s
    }

    static var isCI: Bool { getenv("CI").map { String(cString: $0) == "true" } ?? false }

    /// Backends to run: PostgreSQL is included when configured, or under CI (where it then fails loudly).
    static var enabled: [Backend] {
        if pgURL != nil || isCI { return [.sqlite, .postgres] }
        print("KernelStoreTests: MCPK_TEST_PG_URL is not set: skipping the PostgreSQL backend (run `make test` or scripts/pg-test.sh start)")
        return [.sqlite]
    }
}

/// A fresh, empty store per test: a temp home (key file, SQLite file) and,
/// for PostgreSQL, a fresh database on the test server.
@KernelActor
final class StoreFixture {
    let backend: Backend
    let home: String
    let url: String

    init(_ backend: Backend) async throws {
        self.backend = backend
        var template = Array("/tmp/mcpk-store-test.XXXXXX".utf8CString)
        guard let dir = mkdtemp(&template) else { throw KernelError.internal("mkdtemp failed") }
        home = String(cString: dir)
        switch backend {
        case .sqlite:
            url = "sqlite://\(home)/mcpk.db"
        case .postgres:
            guard let base = Backend.pgURL else {
                throw KernelError.unavailable("MCPK_TEST_PG_URL is not set but CI=true: PostgreSQL tests cannot run")
            }
            let name = "t_" + Identifier.uuid().replacing("-", with: "")
            let admin = try await PostgresConnection.connect(base)
            _ = try await admin.query("CREATE DATABASE \(name)", [])
            admin.close()
            url = StoreFixture.replaceDatabase(base, with: name)
        }
    }

    static func replaceDatabase(_ url: String, with name: String) -> String {
        guard let slash = url.lastIndex(of: "/") else { return url }
        var rest = ""
        if let q = url[slash...].firstIndex(of: "?") { rest = String(url[q...]) }
        return String(url[..<slash]) + "/" + name + rest
    }

    func open() async throws -> SQLStore {
        try await StoreFactory.open(url: url, home: home)
    }

    var sqlitePath: String { home + "/mcpk.db" }
}

/// Builders for test records.
enum Make {
    static func audit(_ action: String, _ entityType: String, _ id: String, details: JSON = [:], auditID: String = Identifier.uuid()) -> ActionLog {
        ActionLog(id: auditID, at: .now(), actor: "test", actionType: action, entityType: entityType, entityID: id, details: details)
    }

    static func component(_ name: String, type: ComponentType = .pythonScript, tags: [String] = [], at: Timestamp = .now()) -> Component {
        Component(id: Identifier.uuid(), name: name, type: type, description: "about \(name)", tags: tags, owner: "me",
                  createdAt: at, updatedAt: at)
    }

    static func run(_ workflowID: String, at: Timestamp = .now()) -> WorkflowRun {
        WorkflowRun(id: Identifier.uuid(), workflowID: workflowID, workflowVersion: 1, inputs: ["x": 1], createdAt: at)
    }
}

/// Reads a whole file's bytes ([] if absent).
func fileBytes(_ path: String) -> [UInt8] {
    guard let f = fopen(path, "rb") else { return [] }
    defer { fclose(f) }
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&buf, 1, buf.count, f)
        if n <= 0 { break }
        out.append(contentsOf: buf[0..<n])
    }
    return out
}

func contains(_ haystack: [UInt8], _ needle: String) -> Bool {
    let n = Array(needle.utf8)
    guard !n.isEmpty, haystack.count >= n.count else { return false }
    for i in 0...(haystack.count - n.count) where haystack[i] == n[0] {
        if Array(haystack[i..<(i + n.count)]) == n { return true }
    }
    return false
}
