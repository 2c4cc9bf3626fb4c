import Foundation
import Glibc
import KernelCore
import Testing

/// Schema-aware LLM steps: an `LLM Prompt Agent` that declares a `connection` gets the
/// connection's scanned schema as a system message, and the bundled question → SQL → rows
/// template (docs/templates/question-to-sql.json) runs end to end: the LLM step (the local
/// OpenAI-compatible test server, which answers with the user message) writes the SQL, a
/// Data step runs it on a read-only connection with maxRows, an Output step renders the table.
@Suite(.serialized) struct SchemaContextLiveTests {
    typealias Fixture = EngineLiveTests.Fixture

    static var root: String {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Tests/IntegrationTests/SchemaContextLiveTests.swift
        return parts.joined(separator: "/")
    }

    @Test func questionToSQLTemplateSeesTheSchemaAndRunsReadOnly() throws {
        let f = try Fixture()
        let server = try LLMTestServer(logPath: f.kernel.home + "/requests.jsonl")
        // The database, through a writable connection; the workflow gets a read-only one.
        let path = f.kernel.home + "/shop.db"
        let setup = f.name("shop-setup")
        _ = try f.kernel.call("connection.create", ["name": setup, "plugin": "sqlite", "config": ["path": .string(path), "create": true]])
        for sql in ["CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT)",
                    "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id), total REAL)",
                    "INSERT INTO customers VALUES (1, 'a@x', 'Ann'), (2, 'b@x', 'Bob'), (3, 'c@x', 'Cy')",
                    "INSERT INTO orders VALUES (10, 1, 250.5), (11, 2, 20)"] {
            _ = try f.kernel.call("connection.query", ["id": setup, "sql": .string(sql)])
        }
        let shop = "shop" + f.tag
        _ = try f.kernel.call("connection.create", ["name": .string(shop), "plugin": "sqlite", "config": ["path": .string(path)], "read_only": true])

        // The bundled template, its placeholders filled.
        let text = try String(contentsOfFile: Self.root + "/docs/templates/question-to-sql.json", encoding: .utf8)
            .replacingOccurrences(of: "@CONNECTION@", with: shop)
            .replacingOccurrences(of: "@MODEL@", with: "tiny")
            .replacingOccurrences(of: "@ENDPOINT@", with: server.endpoint())
        let template = try JSONParser.parse(text)
        for (name, config) in template["components"]?.objectValue ?? JSONObject() {
            var c = config.objectValue ?? JSONObject()
            if name == "question-to-sql-writer" { c["schemaTables"] = ["orders"] }
            try f.component(name, .object(c))
        }
        try f.workflow("question-to-sql", template["workflow"]?["definition"] ?? .null)

        // The test server answers with the question itself: here, the SQL the "model" writes.
        let id = try f.run("question-to-sql", ["question": "SELECT name, email FROM customers ORDER BY id"])
        let s = try f.wait(id)
        #expect(s["status"] == "succeeded", "\(s)")
        let rows = EngineLiveTests.step(s, "run")?["result"]
        #expect(rows?["rows"] == [["Ann", "a@x"], ["Bob", "b@x"], ["Cy", "c@x"]], "\(rows ?? .null)")
        #expect(EngineLiveTests.step(s, "show")?["status"] == "succeeded", "\(s)")

        // What the model saw: the system prompt, then the schema (chosen table first), then the question.
        let messages = server.log().last?["body"]?["messages"]?.arrayValue ?? []
        #expect(messages.map { $0["role"]?.stringValue ?? "" } == ["system", "system", "user"], "\(messages)")
        let schema = messages.count > 1 ? messages[1]["content"]?.stringValue ?? "" : ""
        #expect(schema.contains("Database schema of connection \"\(shop)\""), "\(schema)")
        #expect(schema.contains("main.orders(id INTEGER PK, customer_id INTEGER NOT NULL FK→main.customers.id, total REAL)"), "\(schema)")
        #expect(schema.contains("main.customers(id INTEGER PK, email TEXT NOT NULL, name TEXT) UNIQUE(email)"), "\(schema)")
        let orders = schema.range(of: "main.orders")?.lowerBound, customers = schema.range(of: "main.customers(")?.lowerBound
        #expect(orders != nil && customers != nil && orders! < customers!, "chosen table first: \(schema)")

        // The Data step's connection is read-only: SQL that writes fails the run at the source.
        let write = try f.run("question-to-sql", ["question": "DELETE FROM orders"])
        let denied = try f.wait(write)
        #expect(denied["status"] == "failed", "\(denied)")
        #expect(EngineLiveTests.step(denied, "run")?["status"] == "failed")
        #expect(try f.kernel.call("connection.query", ["id": setup, "sql": "SELECT count(*) AS n FROM orders"])["rows"] == [[2]])
    }
}
