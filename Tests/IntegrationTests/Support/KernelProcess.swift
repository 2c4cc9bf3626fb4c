import Foundation
import Glibc
import KernelClient
import KernelCore

/// A real `mcpk serve` process for live tests: its own temporary home,
/// socket and (optionally) HTTP port.
final class KernelProcess {
    let home: String
    let socketPath: String
    let process: Foundation.Process
    let logPath: String
    var environment: [String: String]

    /// The `mcpk` binary: `$MCPK_BIN`, else `.build/debug/mcpk` of this package.
    static var binary: String {
        if let b = ProcessInfo.processInfo.environment["MCPK_BIN"], !b.isEmpty { return b }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/mcpk").path
    }

    /// A fresh short home directory (socket paths must stay under 108 bytes).
    static func makeHome() -> String {
        var template = Array("/tmp/mcpk-it-XXXXXX".utf8CString)
        let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        return p.map { String(cString: $0) } ?? "/tmp/mcpk-it-\(getpid())-\(Int.random(in: 0..<1_000_000))"
    }

    /// Starts a kernel and waits until its socket answers.
    static func start(home: String? = nil, env: [String: String] = [:], args: [String] = [],
                      http: String = "off") throws -> KernelProcess {
        let k = try KernelProcess(home: home ?? makeHome(), env: env, args: args, http: http)
        try k.waitReady()
        return k
    }

    private init(home: String, env: [String: String], args: [String], http: String) throws {
        self.home = home
        socketPath = home + "/mcpk.sock"
        logPath = home + ".log"
        var e = ProcessInfo.processInfo.environment
        e["MCPK_HOME"] = home
        e["MCPK_HTTP"] = http
        e["MCPK_LOG_LEVEL"] = e["MCPK_LOG_LEVEL"] ?? "info"
        // Tests stop kernels with steps still running all the time: interrupt them at once (as
        // before graceful drain) unless a test asks for a grace (DrainLiveTests).
        e["MCPK_SHUTDOWN_GRACE"] = e["MCPK_SHUTDOWN_GRACE"] ?? "0"
        for (k, v) in env { e[k] = v }
        environment = e
        process = Foundation.Process()
        process.executableURL = URL(fileURLWithPath: KernelProcess.binary)
        process.arguments = ["serve"] + args
        process.environment = e
        process.currentDirectoryURL = URL(fileURLWithPath: "/tmp")
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = FileHandle(forWritingAtPath: logPath)
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }

    func waitReady(timeout: Double = 30) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if !process.isRunning {
                throw KernelError.unavailable("kernel exited early (\(process.terminationStatus)): \(log())")
            }
            if let c = try? ControlClient(path: socketPath), (try? c.call("kernel.status")) != nil { return }
            usleep(20_000)
        }
        throw KernelError.unavailable("kernel not ready after \(timeout)s: \(log())")
    }

    func client() throws -> ControlClient { try ControlClient(path: socketPath) }

    /// A plugin library built next to the `mcpk` binary (`mcpk-testops` → `libmcpk-testops.so`).
    static func bundledPlugin(_ name: String) -> String {
        URL(fileURLWithPath: binary).deletingLastPathComponent().appendingPathComponent("lib\(name).so").path
    }

    /// Loads the `testops` fixture (not discovered by default) with `plugin.load`.
    @discardableResult
    func loadTestOps(isolation: String? = nil) throws -> JSON {
        var params: JSONObject = JSONObject([("path", .string(KernelProcess.bundledPlugin("mcpk-testops")))])
        if let isolation { params["isolation"] = .string(isolation) }
        return try call("plugin.load", .object(params))
    }

    /// One call on a fresh connection.
    func call(_ method: String, _ params: JSON = [:]) throws -> JSON {
        try client().call(method, params)
    }

    /// Every stored event of a run (`run.events`, page by page), oldest first.
    func runEvents(_ id: String) throws -> [JSON] {
        var all: [JSON] = []
        var after: Int64 = 0
        while true {
            let evs = try call("run.events", ["id": .string(id), "after": .int(after), "limit": 5000])["items"]?.arrayValue ?? []
            if evs.isEmpty { return all }
            all += evs
            after = evs.last?["seq"]?.intValue ?? after
        }
    }

    func log() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// SIGTERM and wait; returns the exit status.
    @discardableResult
    func stop(timeout: Double = 30) -> Int32 {
        if process.isRunning { kill(pid, SIGTERM) }
        return waitExit(timeout: timeout)
    }

    func kill9() {
        if process.isRunning { kill(pid, SIGKILL) }
        _ = waitExit(timeout: 10)
    }

    /// Waits for the exit (SIGKILL after `timeout`). Never hangs: Foundation learns of an exit
    /// from EOF on a socket the child inherited, and a copy of that socket leaked into any other
    /// process hides the exit for as long as that process lives. Then the kernel's own view
    /// (`/proc/<pid>/stat` says zombie or gone) ends the wait, with status -1.
    @discardableResult
    func waitExit(timeout: Double = 30) -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && !KernelProcess.hasExited(pid) && Date() < deadline { usleep(10_000) }
        if process.isRunning && !KernelProcess.hasExited(pid) { kill(pid, SIGKILL) }
        let killed = Date().addingTimeInterval(KernelProcess.exitNoticeSeconds)
        while process.isRunning && Date() < killed { usleep(10_000) }
        return process.isRunning ? -1 : process.terminationStatus
    }

    /// How long Foundation gets to notice an exit the kernel already reports.
    static let exitNoticeSeconds = 10.0

    /// True once `pid` has exited (a zombie not yet reaped, or gone), per /proc.
    static func hasExited(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
        // "pid (comm) S ...": the state follows the last ')'.
        guard let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].drop(while: { $0 == " " }).first
        return state == "Z" || state == "X"
    }

    /// Runs `mcpk ARGS` as a client of this kernel; returns (status, stdout, stderr).
    func cli(_ args: [String], cwd: String = "/tmp") throws -> (Int32, String, String) {
        try KernelProcess.run(KernelProcess.binary, args, env: ["MCPK_HOME": home], cwd: cwd)
    }

    static func run(_ exe: String, _ args: [String], env: [String: String] = [:], cwd: String = "/tmp",
                    stdin: String? = nil) throws -> (Int32, String, String) {
        let p = Foundation.Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        var e = ProcessInfo.processInfo.environment
        // An empty value removes the variable.
        for (k, v) in env { e[k] = v.isEmpty ? nil : v }
        p.environment = e
        p.currentDirectoryURL = URL(fileURLWithPath: cwd)
        let out = Foundation.Pipe(), err = Foundation.Pipe()
        p.standardOutput = out
        p.standardError = err
        if let stdin {
            let inp = Foundation.Pipe()
            p.standardInput = inp
            try p.run()
            inp.fileHandleForWriting.write(Data(stdin.utf8))
            try inp.fileHandleForWriting.close()
        } else {
            try p.run()
        }
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let r = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: r, as: UTF8.self))
    }

    deinit {
        if process.isRunning { kill(pid, SIGKILL); waitExit(timeout: 0) }
        try? FileManager.default.removeItem(atPath: home)
        try? FileManager.default.removeItem(atPath: logPath)
    }
}
