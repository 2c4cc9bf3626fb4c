import ArgumentParser
import KernelCore

/// `mcpk webhooks create|list|get|delete`.
struct WebhooksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhooks", abstract: "Webhooks: POST /hooks/{id} on the HTTP shim starts a workflow run.",
        subcommands: [Create.self, List.self, Get.self, Delete.self], defaultSubcommand: List.self)

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a webhook for a workflow.")
        @OptionGroup var options: ClientOptions
        @Argument var name: String
        @Option(help: "Workflow id or name") var workflow: String
        @Option(help: "HMAC-SHA256 signing secret (X-Signature-256: sha256=<hex>); sealed at rest") var secret: String?
        @Option(help: "Mapping as a JSON object: input → body.<path> | headers.<name> | query.<name>") var mapping: String?
        @Option(help: "Pin a workflow version") var version: Int?
        @Option(help: "Requests per minute") var rateLimit: Int?
        func run() throws {
            var params = JSONObject([("name", .string(name)), ("workflow", .string(workflow))])
            if let secret { params["secret"] = .string(secret) }
            if let mapping {
                do { params["mapping"] = try JSONParser.parse(mapping) } catch { CLI.fail("--mapping must be a JSON object") }
            }
            if let version { params["version"] = .int(Int64(version)) }
            if let rateLimit { params["rate_limit_per_minute"] = .int(Int64(rateLimit)) }
            let client = try options.connect()
            let r = options.call(client, "webhook.create", .object(params))
            CLI.print(options.json ? r.pretty() : "created \(CLI.cell(r["name"])): POST \(CLI.cell(r["url"]))")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Every webhook.")
        @OptionGroup var options: ClientOptions
        func run() throws {
            let client = try options.connect()
            let r = options.call(client, "webhook.list", ["limit": .int(500)])
            if options.json { CLI.print(r.pretty()); return }
            let rows = (r["items"]?.arrayValue ?? []).map {
                [CLI.cell($0["name"]), CLI.cell($0["url"]), CLI.cell($0["workflow_id"]), $0["secret"]?.isNull == false ? "signed" : "open",
                 CLI.cell($0["rate_limit_per_minute"])]
            }
            CLI.print(CLI.table(["NAME", "URL", "WORKFLOW", "AUTH", "PER-MIN"], rows))
        }
    }

    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "get", abstract: "One webhook (never its secret).")
        @OptionGroup var options: ClientOptions
        @Argument(help: "Webhook id or name") var id: String
        func run() throws {
            let client = try options.connect()
            CLI.print(options.call(client, "webhook.get", ["id": .string(id)]).pretty())
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a webhook.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "Webhook id or name") var id: String
        func run() throws {
            let client = try options.connect()
            let r = options.call(client, "webhook.delete", ["id": .string(id)])
            CLI.print(options.json ? r.pretty() : "deleted \(CLI.cell(r["id"]))")
        }
    }
}
