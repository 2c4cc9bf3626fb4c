import ArgumentParser
import KernelCore

/// `mcpk call METHOD [JSON-PARAMS]`: a raw control call.
struct CallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "call", abstract: "Call a control method and print its result as JSON.")
    @OptionGroup var options: ClientOptions
    @Argument(help: "Method name, e.g. kernel.status (see `mcpk call rpc.discover`).")
    var method: String
    @Argument(help: "Params as a JSON object.")
    var params: String?

    func run() throws {
        var p: JSON = [:]
        if let params {
            do { p = try JSONParser.parse(params) } catch { CLI.fail("params are not valid JSON: \(error)") }
        }
        let client = try options.connect()
        let result = options.call(client, method, p)
        CLI.print(options.json ? result.serialized() : result.pretty())
    }
}
