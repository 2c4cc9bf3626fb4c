import ArgumentParser
import Glibc
import KernelClient
import KernelCore
import KernelLoop
import KernelServer
import KernelServices

/// Options every client verb shares: where the kernel is, and output format.
struct ClientOptions: ParsableArguments {
    @Option(help: "Kernel home (MCPK_HOME; default ./.mcpk).")
    var home: String?

    @Option(help: "Control socket path (MCPK_SOCKET; default $MCPK_HOME/mcpk.sock).")
    var socket: String?

    @Flag(help: "Print machine-readable JSON.")
    var json = false

    /// Resolves the socket path exactly as `mcpk serve` does.
    func socketPath() throws -> String {
        var flags: [String: String] = [:]
        if let home { flags["MCPK_HOME"] = home }
        if let socket { flags["MCPK_SOCKET"] = socket }
        let cwd = KernelConfiguration.currentDirectory()
        // Client verbs only need the socket: ignore HTTP/token checks.
        flags["MCPK_HTTP"] = "off"
        let config = try KernelConfiguration.resolve(
            flags: flags, environment: KernelConfiguration.processEnvironment(),
            dotEnv: KernelConfiguration.readFile(cwd + "/.env"), workingDirectory: cwd, bundledPluginDir: nil)
        return config.socketPath
    }

    /// Connects, or exits with one line naming the socket.
    func connect() throws -> ControlClient {
        let path = try socketPath()
        do {
            return try ControlClient(path: path)
        } catch {
            CLI.fail("\(error)")
        }
    }

    /// Calls a method, exiting non-zero with the error message on failure.
    func call(_ client: ControlClient, _ method: String, _ params: JSON = [:]) -> JSON {
        do {
            return try client.call(method, params)
        } catch {
            CLI.fail("\(error)")
        }
    }
}

enum CLI {
    /// Largest input file (`--file`, `--inputs`, a secret's file) the CLI reads.
    static let maxInputFileBytes = 64 * 1024 * 1024

    /// The whole text of a file (`-` = standard input); exits with the reason when it cannot be read.
    static func readTextFile(_ path: String) -> String {
        do {
            let bytes = path == "-" ? try WholeFile.bytes(fd: 0, name: "standard input", limit: maxInputFileBytes)
                                    : try WholeFile.bytes(path, limit: maxInputFileBytes)
            return String(decoding: bytes, as: UTF8.self)
        } catch {
            fail("\(error) (CLI.maxInputFileBytes)")
        }
    }

    /// `{id, version?}`: the params of `component.get` / `workflow.get`.
    static func idAndVersion(_ id: String, _ version: Int?) -> JSON {
        var p = JSONObject([("id", .string(id))])
        if let version { p["version"] = JSON(version) }
        return .object(p)
    }

    /// `component.update` / `workflow.update`: the JSON file's object with `id` and the
    /// `--name` / `--description` flags over it; prints the outcome (`unchanged` names what
    /// stayed the same when no version was added).
    static func update(_ options: ClientOptions, method: String, id: String, file: String?, name: String?,
                       description: String?, unchanged: String) throws {
        var p = file.map { ComponentsCommand.readJSONFile($0).objectValue ?? JSONObject() } ?? JSONObject()
        p["id"] = .string(id)
        if let name { p["name"] = .string(name) }
        if let description { p["description"] = .string(description) }
        let client = try options.connect()
        let e = options.call(client, method, .object(p))
        if options.json { print(e.serialized()); return }
        print("updated \(cell(e["name"])) (latest version \(cell(e["latest_version"]))"
              + (e["version_created"] == .bool(true) ? ", new version" : ", \(unchanged) unchanged") + ")")
    }

    /// Prints `mcpk: message` to stderr and exits 1.
    static func fail(_ message: String, code: Int32 = 1) -> Never {
        var line = "mcpk: " + message + "\n"
        line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
        exit(code)
    }

    /// Writes `text` to stdout as it is (no newline: a progress bar redrawn in place).
    static func writeRaw(_ text: String) {
        var t = text
        t.withUTF8 { _ = Glibc.write(1, $0.baseAddress, $0.count) }
    }

    static func print(_ text: String) {
        var line = text + "\n"
        line.withUTF8 { _ = write(1, $0.baseAddress, $0.count) }
    }

    /// Renders rows as an aligned text table.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for r in rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in
                i == cells.count - 1 ? c : c + String(repeating: " ", count: widths[i] - c.count)
            }.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }

    /// Width of a progress bar.
    static let progressBarWidth = 20

    /// `████░░░░ 40%` for a fraction in 0…1 (no percentage when nil).
    static func progressBar(_ fraction: Double?) -> String {
        let f = min(1, max(0, fraction ?? 0))
        let filled = Int((f * Double(progressBarWidth)).rounded())
        return String(repeating: "█", count: filled) + String(repeating: "░", count: progressBarWidth - filled)
            + (fraction.map { " \(Int((min(1, max(0, $0)) * 100).rounded()))%" } ?? "")
    }

    /// Bytes as `631 MiB` / `12 KiB` / `0 B`.
    static func bytes(_ n: Int64) -> String {
        if n >= 1 << 30 { let tenths = n * 10 >> 30; return "\(tenths / 10).\(tenths % 10) GiB" }
        if n >= 1 << 20 { return "\(n >> 20) MiB" }
        if n >= 1 << 10 { return "\(n >> 10) KiB" }
        return "\(n) B"
    }

    /// A JSON value as a short table cell.
    static func cell(_ v: JSON?) -> String {
        switch v {
        case nil, .null?: return "-"
        case .string(let s)?: return s
        case let other?: return other.serialized()
        }
    }
}
