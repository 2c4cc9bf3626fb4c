import Foundation
import Glibc
import KernelCore
import Testing

@Suite(.serialized) struct CLITests {
    /// Polls (20 ms) for a kernel started by hand to create its socket: 30 s, like KernelProcess.waitReady.
    static let socketPollRounds = 1500

    @Test func statusCallAndShutdown() throws {
        let k = try KernelProcess.start()
        let (s1, out1, _) = try k.cli(["status"])
        #expect(s1 == 0)
        #expect(out1.contains("mcpk 0.1.0 running (pid \(k.pid)"))
        #expect(out1.contains("socket:      \(k.socketPath)"))
        let (s2, out2, _) = try k.cli(["status", "--json"])
        #expect(s2 == 0)
        #expect(try JSONParser.parse(out2)["pid"]?.intValue == Int64(k.pid))
        let (s3, out3, _) = try k.cli(["call", "kernel.ping", #"{"echo":"hi"}"#])
        #expect(s3 == 0)
        #expect(try JSONParser.parse(out3)["echo"]?.stringValue == "hi")
        let (s4, _, err4) = try k.cli(["call", "kernel.nope"])
        #expect(s4 != 0)
        #expect(err4.contains("method 'kernel.nope' not found"))
        let (s5, _, err5) = try k.cli(["call", "kernel.ping", "{oops"])
        #expect(s5 != 0)
        #expect(err5.contains("not valid JSON"))
        let (s6, out6, _) = try k.cli(["shutdown"])
        #expect(s6 == 0)
        #expect(out6.contains("kernel stopped"))
        #expect(k.waitExit() == 0)
    }

    @Test func statusShowsTheHTTPAddress() throws {
        let port = 20000 + Int(getpid() % 20000)
        let k = try KernelProcess.start(http: "127.0.0.1:\(port)")
        defer { k.stop() }
        let (s, out, _) = try k.cli(["status"])
        #expect(s == 0)
        #expect(out.contains("http:        http://127.0.0.1:\(port)/"), "\(out)")
    }

    @Test func unreachableKernelIsOneLineNamingTheSocket() throws {
        let home = KernelProcess.makeHome()
        let (status, out, err) = try KernelProcess.run(KernelProcess.binary, ["status"], env: ["MCPK_HOME": home])
        #expect(status != 0)
        #expect(out.isEmpty)
        #expect(err == "mcpk: cannot reach the kernel at \(home)/mcpk.sock: No such file or directory (is `mcpk serve` running?)\n")
    }

    @Test func dotEnvInWorkingDirectoryIsRead() throws {
        let dir = KernelProcess.makeHome()
        let home = dir + "/h"
        try "# comment\nexport MCPK_HOME=\"\(home)\"\nMCPK_HTTP=off\n".write(toFile: dir + "/.env", atomically: true, encoding: .utf8)
        let p = Foundation.Process()
        p.executableURL = URL(fileURLWithPath: KernelProcess.binary)
        p.arguments = ["serve"]
        var env = ProcessInfo.processInfo.environment
        env["MCPK_HOME"] = nil
        env["MCPK_HTTP"] = nil
        p.environment = env
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer { kill(p.processIdentifier, SIGTERM); p.waitUntilExit() }
        var ok = false
        for _ in 0..<Self.socketPollRounds where !ok {
            usleep(20_000)
            ok = access(home + "/mcpk.sock", F_OK) == 0
        }
        #expect(ok)
        // The client resolves the same .env from the same working directory.
        let (s, out, _) = try KernelProcess.run(KernelProcess.binary, ["status", "--json"], env: ["MCPK_HOME": ""], cwd: dir)
        #expect(s == 0)
        #expect(out.contains(home))
    }

    @Test func malformedDotEnvNamesTheLine() throws {
        let dir = KernelProcess.makeHome()
        try "MCPK_HTTP=off\nthis line is wrong\n".write(toFile: dir + "/.env", atomically: true, encoding: .utf8)
        let (status, _, err) = try KernelProcess.run(KernelProcess.binary, ["serve"], env: ["MCPK_HOME": dir + "/h"], cwd: dir)
        #expect(status != 0)
        #expect(err.contains(".env line 2: expected KEY=value"))
    }

    /// The loop watchdog's settings resolve through the configuration like any other (a `.env`
    /// sets them; `mcpk config` shows where from), and a malformed threshold refuses start-up.
    @Test func loopWatchdogSettingsComeFromTheConfiguration() throws {
        let dir = KernelProcess.makeHome()
        try "MCPK_HTTP=off\nMCPK_LOOP_WATCHDOG_MS=soon\n".write(toFile: dir + "/.env", atomically: true, encoding: .utf8)
        let env = ["MCPK_HOME": dir + "/h", "MCPK_LOOP_WATCHDOG_MS": "", "MCPK_LOOP_WATCHDOG_ABORT": ""]
        let (cfgStatus, cfg, _) = try KernelProcess.run(KernelProcess.binary, ["config", "--json"], env: env, cwd: dir)
        #expect(cfgStatus == 0)
        let row = (try JSONParser.parse(cfg)["items"]?.arrayValue ?? []).first { $0["name"] == "MCPK_LOOP_WATCHDOG_MS" }
        #expect(row?["source"] == ".env" && row?["value"] == "soon", "\(cfg)")
        let (status, _, err) = try KernelProcess.run(KernelProcess.binary, ["serve"], env: env, cwd: dir)
        #expect(status != 0)
        #expect(err.contains("MCPK_LOOP_WATCHDOG_MS must be a number of milliseconds (got 'soon')"), "\(err)")
    }

    @Test func nonLoopbackHTTPWithoutTokenRefusesToStart() throws {
        let home = KernelProcess.makeHome()
        let (status, _, err) = try KernelProcess.run(KernelProcess.binary, ["serve", "--http", "0.0.0.0:18470"],
                                                     env: ["MCPK_HOME": home, "MCPK_TOKEN": ""])
        #expect(status != 0)
        #expect(err.contains("is not loopback: set MCPK_TOKEN"))
    }

    @Test func globalOptionsWorkBeforeTheSubcommand() throws {
        let k = try KernelProcess.start()
        defer { k.stop() }
        // MCPK_HOME unset: only the option before the subcommand names the kernel.
        let env = ["MCPK_HOME": ""]
        let (s1, out1, err1) = try KernelProcess.run(KernelProcess.binary, ["--home", k.home, "status"], env: env)
        #expect(s1 == 0, "\(err1)")
        #expect(out1.contains("mcpk 0.1.0 running (pid \(k.pid)"))
        let (s2, out2, err2) = try KernelProcess.run(KernelProcess.binary, ["--json", "--home=\(k.home)", "status"], env: env)
        #expect(s2 == 0, "\(err2)")
        #expect(try JSONParser.parse(out2)["pid"]?.intValue == Int64(k.pid))
        // Between nested subcommand names too.
        let (s3, out3, err3) = try KernelProcess.run(KernelProcess.binary, ["--home", k.home, "runs", "--json", "list"], env: env)
        #expect(s3 == 0, "\(err3)")
        #expect(try JSONParser.parse(out3)["items"]?.arrayValue != nil)
        // `run --version` is the tool's version; the workflow version is --workflow-version.
        let (s4, out4, _) = try k.cli(["run", "--version"])
        #expect(s4 == 0)
        #expect(out4.trimmingCharacters(in: .whitespacesAndNewlines) == "0.1.0")
        let (s5, _, err5) = try k.cli(["run", "no-such-workflow", "--workflow-version", "2", "--no-follow"])
        #expect(s5 != 0)
        #expect(err5.contains("no-such-workflow"), "\(err5)")
    }

    @Test func workflowsValidateTakesAFileArgumentAndJSONErrorsNameLineAndColumn() throws {
        let k = try KernelProcess.start()
        defer { k.stop() }
        let bad = k.home + "/bad.json"
        try "{\n  \"steps\": [\n    {\"id\": \"a\",\n     \"component\" \"x\"}\n  ]\n}\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let (s1, _, err1) = try k.cli(["workflows", "validate", bad])
        #expect(s1 != 0)
        #expect(err1.contains("line 4, column 18"), "\(err1)")
        let good = k.home + "/wf.json"
        try #"{"steps": [{"id": "a", "component": "no-such-component"}]}"#.write(toFile: good, atomically: true, encoding: .utf8)
        // Without -f: the argument is a file, so its definition is validated (not looked up as a stored workflow).
        let (s2, out2, err2) = try k.cli(["workflows", "validate", good])
        #expect(s2 == 1, "\(err2)")
        #expect(out2.hasPrefix("invalid:"), "\(out2)")
        #expect(out2.contains("no-such-component"), "\(out2)")
    }
}
