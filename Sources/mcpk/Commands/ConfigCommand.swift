import ArgumentParser
import KernelCore
import KernelServer
import KernelServices

/// `mcpk config`: the effective settings `mcpk serve` would use here, each with where it came
/// from (`flag`, `env`, `.env`, `default`); secrets are shown as `***`.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Print the effective settings and where each came from (flag, env, .env, default).")

    @OptionGroup var options: KernelOptions

    @Flag(help: "Print machine-readable JSON.")
    var json = false

    func run() throws {
        let config: KernelConfiguration
        do {
            config = try options.resolve()
        } catch let e as KernelError {
            CLI.fail(e.message)
        }
        let rows = config.effectiveSettings()
        if json {
            let items: [JSON] = rows.map { ["name": .string($0.name), "value": .string($0.value), "source": .string($0.source.rawValue)] }
            CLI.print(JSON.object(JSONObject([("items", .array(items))])).pretty())
        } else {
            CLI.print(CLI.table(["SETTING", "VALUE", "SOURCE"], rows.map { [$0.name, $0.value, $0.source.rawValue] }))
        }
    }
}
