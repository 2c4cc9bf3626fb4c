import Foundation
import Glibc
import HTTPTestSupport
import KernelCore

/// A private test server started by one of the repository's harness scripts
/// (`scripts/pg-test.sh`, `scripts/redis-test.sh`) on a free port with its own state file, so a
/// test can stop and restart it without disturbing the suite's shared server.
struct TestServerScript {
    /// The script's path under the repository.
    let script: String
    /// The environment the script runs with (its port and state-file settings).
    let env: [String: String]
    /// The state file (`<…>.env`); its `.err` and `.out` siblings hold the script's output.
    let state: String

    /// `scriptName` under `scripts/`, with `portVariable` set to a free port and `stateVariable`
    /// to a state file under `.build/` named `<statePrefix>-<pid>-<random>.env`.
    init(_ scriptName: String, portVariable: String, stateVariable: String, statePrefix: String) {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
        script = root + "/scripts/" + scriptName
        state = root + "/.build/\(statePrefix)-\(getpid())-\(Int.random(in: 0..<1_000_000)).env"
        env = [portVariable: String(HTTPTestClient.freePort()), stateVariable: state]
    }

    /// Runs `script command` and returns its trimmed stdout. The server it starts must not inherit
    /// a pipe of ours (the call would wait for its EOF): output goes to files and every other
    /// inherited descriptor (Foundation's pipe ends) is closed.
    @discardableResult
    func run(_ command: String) throws -> String {
        let errors = state + ".err"
        let output = errors + ".out"
        let (status, _, _) = try KernelProcess.run(
            "/bin/bash", ["-c", "exec </dev/null >'\(output)' 2>>'\(errors)'; "
                            + "for fd in $(ls /proc/$$/fd); do [ $fd -gt 2 ] && eval \"exec $fd>&-\" 2>/dev/null; done; '\(script)' \(command)"], env: env)
        let out = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        unlink(output)
        guard status == 0 else {
            let name = (script as NSString).lastPathComponent
            throw KernelError.unavailable("\(name) \(command): \((try? String(contentsOfFile: errors, encoding: .utf8)) ?? "")")
        }
        return out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Stops the server and removes its output and log files.
    func stopAndClean() {
        _ = try? run("stop")
        unlink(state + ".err")
        unlink(String(state.dropLast(".env".count)) + "-server.log")
    }
}
