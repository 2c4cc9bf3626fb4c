import ArgumentParser
import Glibc
import KernelCore

/// `mcpk components …`: typed, versioned components.
struct ComponentsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "components", abstract: "Create, list, show, update and delete components.",
        subcommands: [Create.self, List.self, Get.self, Update.self, Delete.self, Versions.self, Schema.self])

    /// Reads a JSON object from a file (`-` = stdin).
    static func readJSONFile(_ path: String) -> JSON {
        let text = CLI.readTextFile(path)
        do {
            let v = try JSONParser.parse(text)
            guard case .object = v else { CLI.fail("\(path): expected a JSON object") }
            return v
        } catch {
            CLI.fail("\(path) is not valid JSON: \(error)")
        }
    }

    static func printComponent(_ c: JSON, _ options: ClientOptions) {
        if options.json { CLI.print(c.serialized()); return }
        let tags = (c["tags"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", ")
        CLI.print([
            "\(CLI.cell(c["name"]))  (\(CLI.cell(c["type"])), version \(CLI.cell(c["version"])) of \(CLI.cell(c["latest_version"])))",
            "  id:          \(CLI.cell(c["id"]))",
            "  description: \(CLI.cell(c["description"]))",
            "  tags:        \(tags.isEmpty ? "-" : tags)",
            "  owner:       \(CLI.cell(c["owner"]))",
            "  checksum:    \(CLI.cell(c["checksum"]))",
            "  updated:     \(CLI.cell(c["updated_at"]))",
            "  config:",
            (c["config"] ?? .null).pretty().split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"),
        ].joined(separator: "\n"))
    }

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a component from a JSON file: {name, description?, tags?, owner?, config: {type, …}}.")
        @OptionGroup var options: ClientOptions
        @Option(name: .shortAndLong, help: "JSON file ('-' for stdin).") var file: String
        func run() throws {
            let params = ComponentsCommand.readJSONFile(file)
            let client = try options.connect()
            let c = options.call(client, "component.create", params)
            if options.json { CLI.print(c.serialized()) } else {
                CLI.print("created \(CLI.cell(c["name"])) \(CLI.cell(c["id"])) (\(CLI.cell(c["type"])), version 1)")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List components.")
        @OptionGroup var options: ClientOptions
        @Option(help: "Only this type, e.g. 'Python Script'.") var type: String?
        @Option(help: "Only components with this tag.") var tag: String?
        @Option(name: .customLong("query"), help: "Text in name or description.") var q: String?
        @Option(help: "Page size.") var limit: Int?
        @Option(help: "Cursor of the next page.") var cursor: String?
        func run() throws {
            var p = JSONObject()
            if let type { p["type"] = .string(type) }
            if let tag { p["tag"] = .string(tag) }
            if let q { p["q"] = .string(q) }
            if let limit { p["limit"] = JSON(limit) }
            if let cursor { p["cursor"] = .string(cursor) }
            let client = try options.connect()
            let page = options.call(client, "component.list", .object(p))
            if options.json { CLI.print(page.serialized()); return }
            let rows = (page["items"]?.arrayValue ?? []).map { c in
                [CLI.cell(c["id"]), CLI.cell(c["name"]), CLI.cell(c["type"]), CLI.cell(c["latest_version"]),
                 (c["tags"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ","), CLI.cell(c["updated_at"])]
            }
            CLI.print(CLI.table(["ID", "NAME", "TYPE", "VERSION", "TAGS", "UPDATED"], rows))
            if let next = page["next_cursor"]?.stringValue { CLI.print("more: --cursor \(next)") }
        }
    }

    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a component and its config.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "Component id or name.") var id: String
        @Option(help: "A specific version.") var version: Int?
        func run() throws {
            let client = try options.connect()
            ComponentsCommand.printComponent(options.call(client, "component.get", CLI.idAndVersion(id, version)), options)
        }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Update a component from a JSON file ({name?, description?, tags?, owner?, config?}); a changed config adds a version.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "Component id or name.") var id: String
        @Option(name: .shortAndLong, help: "JSON file ('-' for stdin).") var file: String?
        @Option(help: "New name.") var name: String?
        @Option(help: "New description.") var description: String?
        func run() throws {
            try CLI.update(options, method: "component.update", id: id, file: file, name: name, description: description,
                           unchanged: "config")
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a component (refused while a workflow uses it, unless --force).")
        @OptionGroup var options: ClientOptions
        @Argument(help: "Component id or name.") var id: String
        @Flag(help: "Delete even if workflows reference it.") var force = false
        func run() throws {
            let client = try options.connect()
            let r = options.call(client, "component.delete", ["id": .string(id), "force": .bool(force)])
            CLI.print(options.json ? r.serialized() : "deleted \(CLI.cell(r["id"]))")
        }
    }

    struct Versions: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a component's versions.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "Component id or name.") var id: String
        func run() throws {
            let client = try options.connect()
            let r = options.call(client, "component.versions", ["id": .string(id)])
            if options.json { CLI.print(r.serialized()); return }
            let rows = (r["items"]?.arrayValue ?? []).map { v in
                [CLI.cell(v["version"]), CLI.cell(v["type"]), String(CLI.cell(v["checksum"]).prefix(16)), CLI.cell(v["created_at"])]
            }
            CLI.print(CLI.table(["VERSION", "TYPE", "CHECKSUM", "CREATED"], rows))
        }
    }

    struct Schema: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the JSON Schema of component configs.")
        @OptionGroup var options: ClientOptions
        @Option(help: "Only this type, e.g. 'LLM Prompt Agent'.") var type: String?
        func run() throws {
            let client = try options.connect()
            let r = options.call(client, "component.schema", type.map { ["type": .string($0)] } ?? [:])
            CLI.print(options.json ? r.serialized() : r.pretty())
        }
    }
}
