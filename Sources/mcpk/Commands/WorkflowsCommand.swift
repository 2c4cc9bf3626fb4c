import ArgumentParser
import Glibc
import KernelCore

/// `mcpk workflows …`: versioned DAGs of component steps.
struct WorkflowsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workflows", abstract: "Create, list, show, update, validate and delete workflows.",
        subcommands: [Create.self, List.self, Get.self, Update.self, Delete.self, Versions.self, Validate.self])

    static func printWorkflow(_ w: JSON, _ options: ClientOptions) {
        if options.json { CLI.print(w.serialized()); return }
        let steps = (w["definition"]?["steps"]?.arrayValue ?? []).map { s -> [String] in
            let needs = (s["needs"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ",")
            return [CLI.cell(s["id"]), CLI.cell(s["component"]) + (s["version"].map { "@" + CLI.cell($0) } ?? ""),
                    needs.isEmpty ? "-" : needs, CLI.cell(s["when"])]
        }
        CLI.print([
            "\(CLI.cell(w["name"]))  (version \(CLI.cell(w["version"])) of \(CLI.cell(w["latest_version"])))",
            "  id:          \(CLI.cell(w["id"]))",
            "  description: \(CLI.cell(w["description"]))",
            "  checksum:    \(CLI.cell(w["checksum"]))",
            "  updated:     \(CLI.cell(w["updated_at"]))",
            "",
            CLI.table(["STEP", "COMPONENT", "NEEDS", "WHEN"], steps),
        ].joined(separator: "\n"))
    }

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a workflow from a JSON file: {name, description?, inputs?, steps, outputs?, concurrency?}.")
        @OptionGroup var options: ClientOptions
        @Option(name: .shortAndLong, help: "JSON file ('-' for stdin).") var file: String
        func run() throws {
            let params = ComponentsCommand.readJSONFile(file)
            let client = try options.connect()
            let w = options.call(client, "workflow.create", params)
            CLI.print(options.json ? w.serialized() : "created \(CLI.cell(w["name"])) \(CLI.cell(w["id"])) (version 1)")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List workflows.")
        @OptionGroup var options: ClientOptions
        @Option(name: .customLong("query"), help: "Text in name or description.") var q: String?
        @Option(help: "Page size.") var limit: Int?
        @Option(help: "Cursor of the next page.") var cursor: String?
        func run() throws {
            var p = JSONObject()
            if let q { p["q"] = .string(q) }
            if let limit { p["limit"] = JSON(limit) }
            if let cursor { p["cursor"] = .string(cursor) }
            let client = try options.connect()
            let page = options.call(client, "workflow.list", .object(p))
            if options.json { CLI.print(page.serialized()); return }
            let rows = (page["items"]?.arrayValue ?? []).map { w in
                [CLI.cell(w["id"]), CLI.cell(w["name"]), CLI.cell(w["latest_version"]),
                 String(w["definition"]?["steps"]?.arrayValue?.count ?? 0), CLI.cell(w["updated_at"])]
            }
            CLI.print(CLI.table(["ID", "NAME", "VERSION", "STEPS", "UPDATED"], rows))
            if let next = page["next_cursor"]?.stringValue { CLI.print("more: --cursor \(next)") }
        }
    }

    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a workflow and its steps.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "Workflow id or name.") var id: String
        @Option(help: "A specific version.") var version: Int?
        func run() throws {
            let client = try options.connect()
            WorkflowsCommand.printWorkflow(options.call(client, "workflow.get", CLI.idAndVersion(id, version)), options)
        }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Update a workflow from a JSON file ({name?, description?, inputs?, steps?, outputs?, concurrency?}).")
        @OptionGroup var options: ClientOptions
        @Argument(help: "Workflow id or name.") var id: String
        @Option(name: .shortAndLong, help: "JSON file ('-' for stdin).") var file: String?
        @Option(help: "New name.") var name: String?
        @Option(help: "New description.") var description: String?
        func run() throws {
            try CLI.update(options, method: "workflow.update", id: id, file: file, name: name, description: description,
                           unchanged: "definition")
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a workflow.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "Workflow id or name.") var id: String
        func run() throws {
            let client = try options.connect()
            let r = options.call(client, "workflow.delete", ["id": .string(id)])
            CLI.print(options.json ? r.serialized() : "deleted \(CLI.cell(r["id"]))")
        }
    }

    struct Versions: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a workflow's versions.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "Workflow id or name.") var id: String
        func run() throws {
            let client = try options.connect()
            let r = options.call(client, "workflow.versions", ["id": .string(id)])
            if options.json { CLI.print(r.serialized()); return }
            let rows = (r["items"]?.arrayValue ?? []).map { v in
                [CLI.cell(v["version"]), String(v["definition"]?["steps"]?.arrayValue?.count ?? 0),
                 String(CLI.cell(v["checksum"]).prefix(16)), CLI.cell(v["created_at"])]
            }
            CLI.print(CLI.table(["VERSION", "STEPS", "CHECKSUM", "CREATED"], rows))
        }
    }

    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a definition file (or a stored workflow); exits 1 when invalid.")
        @OptionGroup var options: ClientOptions
        @Option(name: .shortAndLong, help: "JSON file ('-' for stdin).") var file: String?
        @Argument(help: "A definition file, or a stored workflow id or name (instead of --file).") var id: String?
        func run() throws {
            var p: JSON
            // An argument naming an existing file (or ending in .json) is that file.
            let file = self.file ?? id.flatMap { access($0, F_OK) == 0 || $0.hasSuffix(".json") ? $0 : nil }
            if let file {
                var o = ComponentsCommand.readJSONFile(file).objectValue ?? JSONObject()
                o["name"] = nil
                o["description"] = nil
                p = .object(o)
            } else if let id {
                p = ["id": .string(id)]
            } else {
                CLI.fail("give --file FILE or a workflow id")
            }
            let client = try options.connect()
            let r = options.call(client, "workflow.validate", p)
            if options.json { CLI.print(r.serialized()) } else if r["valid"] == .bool(true) {
                let layers = (r["layers"]?.arrayValue ?? []).map { ($0.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", ") }
                CLI.print("valid; runs in \(layers.count) layer(s):\n" + layers.enumerated().map { "  \($0.offset + 1). \($0.element)" }.joined(separator: "\n"))
            } else {
                CLI.print("invalid:\n" + (r["errors"]?.arrayValue ?? []).map { "  \(CLI.cell($0["path"])): \(CLI.cell($0["message"]))" }.joined(separator: "\n"))
            }
            if r["valid"] != .bool(true) { throw ExitCode(1) }
        }
    }
}
