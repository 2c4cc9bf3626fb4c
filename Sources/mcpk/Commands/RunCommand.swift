import ArgumentParser
import Glibc
import KernelCore
import KernelEngine
import KernelStore

/// `mcpk run WORKFLOW [-i key=value]… [--inputs FILE] [--workflow-version N] [--follow|--no-follow]`.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a workflow; with --follow (default on a TTY) show steps, progress and logs live.",
        discussion: "Exit status with --follow: 0 succeeded, 1 failed, 2 timed out, 3 cancelled. Ctrl-C offers to cancel the run.")
    @OptionGroup var options: ClientOptions
    @Argument(help: "Workflow id or name.") var workflow: String
    @Option(name: [.customShort("i"), .customLong("input")], help: "An input as key=value (value parsed as JSON if it is valid JSON, else a string).")
    var input: [String] = []
    @Option(name: .customLong("inputs"), help: "A JSON file of inputs ('-' for stdin).") var inputsFile: String?
    @Option(name: .customLong("workflow-version"), help: "A specific workflow version (default: the latest).") var workflowVersion: Int?
    @Flag(inversion: .prefixedNo, help: "Follow the run until it ends (default: when stdout is a terminal).") var follow: Bool?

    func run() throws {
        var inputs = JSONObject()
        if let inputsFile {
            let text = CLI.readTextFile(inputsFile)
            do {
                guard case .object(let o) = try JSONParser.parse(text) else { CLI.fail("\(inputsFile) must hold a JSON object") }
                inputs = o
            } catch { CLI.fail("\(inputsFile) is not valid JSON: \(error)") }
        }
        for kv in input {
            guard let eq = kv.firstIndex(of: "=") else { CLI.fail("-i expects key=value, got '\(kv)'") }
            let key = String(kv[..<eq]), raw = String(kv[kv.index(after: eq)...])
            inputs[key] = (try? JSONParser.parse(raw)) ?? .string(raw)
        }
        var params: JSONObject = JSONObject([("id", .string(workflow)), ("inputs", .object(inputs))])
        if let workflowVersion { params["version"] = JSON(workflowVersion) }
        let client = try options.connect()
        let r = options.call(client, "workflow.run", .object(params))
        guard let id = r["run_id"]?.stringValue else { CLI.fail("no run id in the reply") }
        if !options.json {
            for w in r["warnings"]?.arrayValue ?? [] { RunFollower.warn(w.stringValue ?? w.serialized()) }
        }
        if !(follow ?? (isatty(1) == 1)) {
            CLI.print(options.json ? r.serialized() : id)
            return
        }
        if !options.json { CLI.print("run \(id)") }
        let status = try RunFollower(options: options, runID: id).follow()
        throw ExitCode(RunFollower.exitCode(status))
    }
}

/// `mcpk runs list|get|cancel|logs|artifacts|artifact|result|rerun|retry|signal`.
struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs", abstract: "List, inspect, cancel and follow workflow runs.",
        subcommands: [List.self, Get.self, Cancel.self, Logs.self, Artifacts.self, Artifact.self, Result.self,
                      Rerun.self, Retry.self, Signal.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Runs, newest first.")
        @OptionGroup var options: ClientOptions
        @Option(help: "Workflow id or name.") var workflow: String?
        @Option(help: "Status (queued, running, succeeded, failed, cancelled, timed_out).") var status: String?
        @Option(help: "Page size.") var limit: Int?
        @Option(help: "Cursor of the next page.") var cursor: String?

        func run() throws {
            var p = JSONObject()
            if let workflow { p["workflow"] = .string(workflow) }
            if let status { p["status"] = .string(status) }
            if let limit { p["limit"] = JSON(limit) }
            if let cursor { p["cursor"] = .string(cursor) }
            let client = try options.connect()
            let r = options.call(client, "run.list", .object(p))
            if options.json { CLI.print(r.serialized()); return }
            let rows = (r["items"]?.arrayValue ?? []).map { run in
                [CLI.cell(run["id"]), CLI.cell(run["workflow_name"] ?? run["workflow_id"]), CLI.cell(run["status"]), CLI.cell(run["created_at"]),
                 run["duration_ms"]?.intValue.map { "\($0) ms" } ?? "-"]
            }
            CLI.print(CLI.table(["ID", "WORKFLOW", "STATUS", "CREATED", "DURATION"], rows))
            if let next = r["next_cursor"]?.stringValue { CLI.print("next: --cursor \(next)") }
        }
    }

    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A run with its steps, attempts, results and errors.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "Run id (or a unique prefix of it).") var id: String

        func run() throws {
            let client = try options.connect()
            let r = options.call(client, "run.get", ["id": .string(id)])
            if options.json { CLI.print(r.serialized()); return }
            CLI.print("run \(CLI.cell(r["id"]))  \(CLI.cell(r["status"]))" + (r["error"]?.stringValue.map { "  \($0)" } ?? ""))
            let rows = (r["steps"]?.arrayValue ?? []).map { s in
                [CLI.cell(s["id"]), s["reused"] == true ? "reused" : CLI.cell(s["status"]), CLI.cell(s["attempt"]),
                 RunFollower.short(RunsCommand.errorOrResult(s))]
            }
            CLI.print(CLI.table(["STEP", "STATUS", "ATTEMPT", "RESULT / ERROR"], rows))
            if let o = r["outputs"], !o.isNull { CLI.print("outputs: \(o.serialized())") }
        }
    }

    static func errorOrResult(_ step: JSON) -> JSON {
        if let e = step["error"], !e.isNull { return e }
        return step["result"] ?? .null
    }

    struct Cancel: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel a run (idempotent).")
        @OptionGroup var options: ClientOptions
        @Argument(help: "Run id (or a unique prefix of it).") var id: String

        func run() throws {
            let client = try options.connect()
            let r = options.call(client, "run.cancel", ["id": .string(id)])
            if options.json { CLI.print(r.serialized()); return }
            let runID = r["id"]?.stringValue ?? id
            var status = r["status"]?.stringValue ?? "unknown"
            if !(RunStatus(rawValue: status)?.isTerminal ?? true) {
                // Running steps get SIGTERM, a grace period, then SIGKILL: wait for the end.
                CLI.print("run \(runID): cancelling…")
                status = RunFollower(options: options, runID: runID, showLogs: false).waitForEnd()
            }
            CLI.print("run \(runID): \(status)")
        }
    }

    struct Artifacts: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The files a run produced.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "Run id (or a unique prefix of it).") var id: String

        func run() throws {
            let client = try options.connect()
            let r = options.call(client, "run.artifacts", ["id": .string(id)])
            if options.json { CLI.print(r.serialized()); return }
            let rows = (r["items"]?.arrayValue ?? []).map { a in
                [CLI.cell(a["name"]), CLI.cell(a["size"]), CLI.cell(a["mime"])]
            }
            CLI.print(CLI.table(["NAME", "SIZE", "MIME"], rows))
        }
    }

    struct Artifact: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One artifact's content: to FILE with -o, else to stdout.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "Run id (or a unique prefix of it).") var id: String
        @Argument(help: "Artifact name (see `mcpk runs artifacts`).") var name: String
        @Option(name: .shortAndLong, help: "Write the content to this file.") var output: String?

        func run() throws {
            let client = try options.connect()
            let r = options.call(client, "run.artifact", ["id": .string(id), "name": .string(name)])
            if options.json { CLI.print(r.serialized()); return }
            let content = r["content"]?.stringValue ?? ""
            let bytes: [UInt8]
            if r["encoding"] == "base64" {
                guard let b = Base64.decode(content) else { CLI.fail("artifact \(name): the kernel sent invalid base64") }
                bytes = b
            } else {
                bytes = Array(content.utf8)
            }
            guard let output else {
                var off = 0
                while off < bytes.count {
                    let n = bytes.withUnsafeBytes { write(1, $0.baseAddress! + off, $0.count - off) }
                    if n <= 0 { CLI.fail("cannot write to stdout") }
                    off += n
                }
                return
            }
            guard ArtifactNames.writeFile(output, bytes) else { CLI.fail("cannot write \(output): \(String(cString: strerror(errno)))") }
            CLI.print("wrote \(output) (\(bytes.count) bytes)")
        }
    }

    struct Logs: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A run's events; -f follows live (and resumes across a kernel restart).")
        @OptionGroup var options: ClientOptions
        @Argument(help: "Run id (or a unique prefix of it).") var id: String
        @Flag(name: .shortAndLong, help: "Follow until the run ends.") var follow = false
        @Option(help: "Start after this seq.") var after: Int64 = 0

        func run() throws {
            let follower = RunFollower(options: options, runID: id, after: after)
            if follow {
                let status = try follower.follow()
                throw ExitCode(RunFollower.exitCode(status))
            }
            // One pass over the stored history.
            let client = try options.connect()
            var last = after
            while true {
                let page = options.call(client, "run.events", ["id": .string(id), "after": .int(last), "limit": 5000])
                let events = page["items"]?.arrayValue ?? []
                if events.isEmpty { break }
                for e in events { follower.print(e) }
                last = events.last?["seq"]?.intValue ?? last
            }
        }
    }
}
