import KernelCore
import Testing

@Suite struct SchemaDigestTests {
    static let scan = try! JSONParser.parse("""
    {"schemas":[{"name":"main","tables":[
      {"name":"customers","type":"table","columns":[
        {"name":"id","type":"INTEGER","nullable":false,"default":null,"position":1},
        {"name":"email","type":"TEXT","nullable":false,"default":null,"position":2}],
       "constraints":[{"type":"primary_key","name":"customers_pkey","columns":["id"]},
                      {"type":"unique","name":"u","columns":["email"]}]},
      {"name":"orders","type":"table","columns":[
        {"name":"id","type":"INTEGER","nullable":false,"default":null,"position":1},
        {"name":"customer_id","type":"INTEGER","nullable":false,"default":null,"position":2}],
       "constraints":[{"type":"foreign_key","name":"f","columns":["customer_id"],"referenced_schema":"main",
                       "referenced_table":"customers","referenced_columns":["id"]}]},
      {"name":"v","type":"view","columns":[{"name":"x","type":null,"nullable":null,"default":null,"position":1}],"constraints":[]}]}]}
    """)

    @Test func linesWithTypesAndKeysChosenFirst() {
        let text = SchemaDigest.describe(connection: "shop", scan: Self.scan, chosenTables: ["orders"])
        #expect(text == """
        Database schema of connection "shop" (PK primary key, FK foreign key → schema.table.column):
        main.orders(id INTEGER NOT NULL, customer_id INTEGER NOT NULL FK→main.customers.id)
        main.customers(id INTEGER PK, email TEXT NOT NULL) UNIQUE(email)
        main.v(x) VIEW
        """)
    }

    @Test func budgetNamesWhatItLeavesOut() {
        let tables: [JSON] = (0..<30).map { i in
            ["name": .string("t\(i < 10 ? "0" : "")\(i)"), "type": "table",
             "columns": [["name": "id", "type": "INTEGER", "nullable": false, "default": .null, "position": 1]], "constraints": []]
        }
        let scan: JSON = ["schemas": [["name": "main", "tables": .array(tables)]]]
        let text = SchemaDigest.describe(connection: "big", scan: scan, chosenTables: ["t17"], tokenBudget: SchemaDigest.minTokenBudget)
        let lines = text.split(separator: "\n").map(String.init)
        // 64 tokens × 4 characters: the header, the chosen table first, as many as fit, then the rest by name.
        #expect(lines.count >= 3, "\(text)")
        #expect(lines.count > 1 && lines[1] == "main.t17(id INTEGER NOT NULL)", "\(text)")
        let shown = lines.dropFirst().filter { $0.hasPrefix("main.t") }.count
        #expect(lines.last?.hasPrefix("… \(30 - shown) more table(s) not shown (schemaTokenBudget 64): main.t") == true, "\(text)")
        #expect(shown > 1 && shown < 30)
        #expect(SchemaDigest.describe(connection: "e", scan: ["schemas": []]).hasSuffix("(no tables)"))
    }
}
