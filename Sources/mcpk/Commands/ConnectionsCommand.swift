import ArgumentParser
import KernelCore

/// `mcpk connections create|list|test|scan|query`.
struct ConnectionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connections", abstract: "External database connections: create, list, test, scan, query.",
        subcommands: [Create.self, List.self, Test.self, Scan.self, Query.self], defaultSubcommand: List.self)

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a connection.")
        @OptionGroup var options: ClientOptions
        @Argument var name: String
        @Option(help: "Connector plugin name (postgres, sqlite, …)") var plugin: String
        @Option(help: "Config as a JSON object") var config: String = "{}"
        @Option(help: "Secret (password); sealed at rest") var secret: String?
        @Flag(help: "Read-only connection") var readOnly = false
        func run() throws {
            let cfg: JSON
            do { cfg = try JSONParser.parse(config) } catch { CLI.fail("--config must be a JSON object") }
            var params = JSONObject([("name", .string(name)), ("plugin", .string(plugin)), ("config", cfg), ("read_only", .bool(readOnly))])
            if let secret { params["secret"] = .string(secret) }
            let client = try options.connect()
            let r = options.call(client, "connection.create", .object(params))
            CLI.print(options.json ? r.pretty() : "created \(CLI.cell(r["name"])) (\(CLI.cell(r["id"])))")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Every connection.")
        @OptionGroup var options: ClientOptions
        func run() throws {
            let client = try options.connect()
            let r = options.call(client, "connection.list")
            if options.json { CLI.print(r.pretty()); return }
            let rows = (r["items"]?.arrayValue ?? []).map {
                [CLI.cell($0["name"]), CLI.cell($0["plugin"]), CLI.cell($0["read_only"]), CLI.cell($0["id"])]
            }
            CLI.print(CLI.table(["NAME", "PLUGIN", "READ-ONLY", "ID"], rows))
        }
    }

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "test", abstract: "Round trip to the database.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "Connection id or name") var id: String
        func run() throws {
            let client = try options.connect()
            let r = options.call(client, "connection.test", ["id": .string(id)])
            if options.json { CLI.print(r.pretty()); return }
            if r["ok"]?.boolValue == true {
                CLI.print("ok: \(CLI.cell(r["server_version"])) (\(CLI.cell(r["latency_ms"])) ms)")
            } else {
                CLI.fail("\(CLI.cell(r["error"]?["kind"])): \(CLI.cell(r["error"]?["message"]))")
            }
        }
    }

    struct Scan: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "scan", abstract: "Schemas, tables, columns and keys.")
        @OptionGroup var options: ClientOptions
        @Argument var id: String
        @Option var depth: Int = 3
        @Option var schema: String?
        @Option var table: String?
        func run() throws {
            var params = JSONObject([("id", .string(id)), ("depth", JSON(depth))])
            if let schema { params["schema"] = .string(schema) }
            if let table { params["table"] = .string(table) }
            let client = try options.connect()
            let r = options.call(client, "connection.scan", .object(params))
            if options.json { CLI.print(r.pretty()); return }
            var lines: [String] = []
            for s in r["schemas"]?.arrayValue ?? [] {
                lines.append(CLI.cell(s["name"]))
                for t in s["tables"]?.arrayValue ?? [] {
                    lines.append("  \(CLI.cell(t["name"])) (\(CLI.cell(t["type"])))")
                    for c in t["columns"]?.arrayValue ?? [] {
                        lines.append("    \(CLI.cell(c["name"])) \(CLI.cell(c["type"]))\(c["nullable"]?.boolValue == false ? " NOT NULL" : "")")
                    }
                    for k in t["constraints"]?.arrayValue ?? [] {
                        var line = "    \(CLI.cell(k["type"])) \(CLI.cell(k["name"])) (\((k["columns"]?.arrayValue ?? []).map { CLI.cell($0) }.joined(separator: ", ")))"
                        if let rt = k["referenced_table"] { line += " → \(CLI.cell(rt))" }
                        lines.append(line)
                    }
                }
            }
            CLI.print(lines.joined(separator: "\n"))
        }
    }

    struct Query: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "query", abstract: "Run SQL through a connection.")
        @OptionGroup var options: ClientOptions
        @Argument var id: String
        @Argument var sql: String
        @Option(help: "Parameters as a JSON array") var params: String = "[]"
        /// Absent: the API's default (`ConnectorLimits.defaultMaxRows`, 1000), so the CLI and
        /// `connection.query` agree; at most `ConnectorLimits.maxCollectedRows` (100000).
        @Option(help: "Rows to return, 0…100000 (default: the kernel's, 1000)") var maxRows: Int?
        @Option var timeoutMs: Int = 0
        func run() throws {
            let p: JSON
            do { p = try JSONParser.parse(params) } catch { CLI.fail("--params must be a JSON array") }
            let client = try options.connect()
            var q = JSONObject([("id", .string(id)), ("sql", .string(sql)), ("params", p), ("timeout_ms", JSON(timeoutMs))])
            if let maxRows { q["max_rows"] = JSON(maxRows) }
            let r = options.call(client, "connection.query", .object(q))
            if options.json { CLI.print(r.pretty()); return }
            let header = (r["columns"]?.arrayValue ?? []).map { CLI.cell($0["name"]) }
            let rows = (r["rows"]?.arrayValue ?? []).map { ($0.arrayValue ?? []).map { CLI.cell($0) } }
            CLI.print(CLI.table(header, rows))
            CLI.print("(\(rows.count) row(s)\(r["truncated"]?.boolValue == true ? ", truncated" : ""), \(CLI.cell(r["elapsed_ms"])) ms)")
        }
    }
}
