import ArgumentParser
import KernelClient
import KernelCore

/// `mcpk runs rerun|retry|signal`: run control after a failure or while a step waits.
extension RunsCommand {
    struct Rerun: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A new run of the same pinned versions, reusing the steps that succeeded (upstream of --from).")
        @OptionGroup var options: ClientOptions
        @Argument(help: "Run id (or a unique prefix of it).") var id: String
        @Option(help: "Rerun from this step: only its ancestors that succeeded are reused.") var from: String?
        @Option(help: "New inputs: a JSON object, or a JSON file ('-' for stdin).") var inputs: String?
        @Flag(help: "Follow the new run to its end.") var follow = false

        func run() throws {
            var p = JSONObject([("id", .string(id))])
            if let from { p["from"] = .string(from) }
            if let inputs {
                let text = inputs.hasPrefix("{") ? inputs : CLI.readTextFile(inputs)
                do {
                    guard case .object(let o) = try JSONParser.parse(text) else { CLI.fail("--inputs must be a JSON object") }
                    p["inputs"] = .object(o)
                } catch { CLI.fail("--inputs is not valid JSON: \(error)") }
            }
            let client = try options.connect()
            let r = options.call(client, "run.rerun", .object(p))
            if options.json { CLI.print(r.serialized()); return }
            guard let newID = r["run_id"]?.stringValue else { CLI.fail("no run id in the reply") }
            let reused = (r["reused"]?.arrayValue ?? []).compactMap(\.stringValue)
            CLI.print("run \(newID): rerun of \(CLI.cell(r["rerun_of"])); reused: \(reused.isEmpty ? "none" : reused.joined(separator: ", "))")
            if follow {
                let status = RunFollower(options: options, runID: newID, showLogs: false).waitForEnd()
                CLI.print("run \(newID): \(status)")
                if status != "succeeded" { throw ExitCode(1) }
            }
        }
    }

    struct Retry: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Retry one failed step of a failed run in place (the run reopens).")
        @OptionGroup var options: ClientOptions
        @Argument(help: "Run id (or a unique prefix of it).") var id: String
        @Argument(help: "The failed step.") var step: String

        func run() throws {
            let client = try options.connect()
            let r = options.call(client, "run.retry", ["id": .string(id), "step": .string(step)])
            if options.json { CLI.print(r.serialized()); return }
            CLI.print("run \(CLI.cell(r["id"])): \(CLI.cell(r["status"])) (retrying \(step))")
        }
    }

    struct Signal: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send a signal (e.g. an approval) to the step of a run waiting for it.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "Run id (or a unique prefix of it).") var id: String
        @Argument(help: "Signal name (the wait step's `signal`).") var name: String
        @Option(help: "Payload: JSON text (a plain word is sent as a string).") var payload: String?

        func run() throws {
            var p = JSONObject([("id", .string(id)), ("name", .string(name))])
            if let payload { p["payload"] = (try? JSONParser.parse(payload)) ?? .string(payload) }
            let client = try options.connect()
            let r = options.call(client, "run.signal", .object(p))
            if options.json { CLI.print(r.serialized()); return }
            CLI.print("run \(CLI.cell(r["id"])): signal \(name) resumed step \(CLI.cell(r["step"]))")
        }
    }
}
