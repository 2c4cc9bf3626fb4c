import Glibc
import Testing
@testable import KernelLoop

@Suite struct ProcessTests {
    @Test func collectsOutputAndExitStatus() throws {
        let loop = try Loop()
        let p = try Process(loop: loop, options: .init(executable: "/bin/sh", arguments: ["-c", "echo out; echo err >&2; exit 3"],
                                                         environment: ["PATH=/usr/bin:/bin"]))
        var out: [Int: String] = [:]
        var finished: Process.Exit?
        p.onOutput = { fd, buf in out[fd, default: ""] += String(decoding: buf, as: UTF8.self) }
        p.onFinish = { finished = $0 }
        p.start()
        loop.run()
        #expect(out[1] == "out\n")
        #expect(out[2] == "err\n")
        #expect(finished == Process.Exit(status: 3, signal: 0))
        #expect(p.phase == .finished)
        #expect(loop.openHandleCount == 0)
        try loop.close()
    }

    /// A grandchild keeps stdout open after the child exits: the process is
    /// finished only when that output has arrived too.
    @Test func outputArrivingAfterExitIsNotLost() throws {
        let loop = try Loop()
        let p = try Process(loop: loop, options: .init(
            executable: "/bin/sh", arguments: ["-c", "(sleep 0.3; echo late) & exit 0"], environment: ["PATH=/usr/bin:/bin"]))
        var out = ""
        var exitedFirst = false
        var outputAtExit = ""
        p.onOutput = { _, buf in out += String(decoding: buf, as: UTF8.self) }
        p.onExit = { _ in exitedFirst = true; outputAtExit = out }
        var finishedWith = ""
        p.onFinish = { _ in finishedWith = out }
        p.start()
        loop.run()
        #expect(exitedFirst)
        #expect(outputAtExit == "")
        #expect(finishedWith == "late\n")
        try loop.close()
    }

    @Test func stdinPipeAndExtraDescriptors() throws {
        let loop = try Loop()
        // fd 3 is an output channel, fd 4 an input channel, like a step process.
        let p = try Process(loop: loop, options: .init(
            executable: "/bin/sh", arguments: ["-c", "read line <&4; echo \"got $line\" >&3"],
            environment: ["PATH=/usr/bin:/bin"], stdio: [.ignore, .output, .output, .output, .input]))
        var fd3 = ""
        p.onOutput = { fd, buf in if fd == 3 { fd3 += String(decoding: buf, as: UTF8.self) } }
        var exit: Process.Exit?
        p.onFinish = { exit = $0 }
        p.start()
        p.inputs[4]?.write("ping\n")
        loop.run()
        #expect(fd3 == "got ping\n")
        #expect(exit?.succeeded == true)
        try loop.close()
    }

    @Test func killGroupStopsChildAndGrandchildren() throws {
        let loop = try Loop()
        let p = try Process(loop: loop, options: .init(
            executable: "/bin/sh", arguments: ["-c", "sleep 30 & sleep 30; echo never"], environment: ["PATH=/usr/bin:/bin"]))
        var exit: Process.Exit?
        var out = ""
        p.onOutput = { _, buf in out += String(decoding: buf, as: UTF8.self) }
        p.onFinish = { exit = $0 }
        p.start()
        try Timer.after(loop: loop, ms: 100) { p.killGroup(SIGKILL) }
        loop.run()
        #expect(exit?.signal == SIGKILL)
        #expect(out == "")
        try loop.close()
    }

    @Test func spawnFailureLeavesNothingOpen() throws {
        let loop = try Loop()
        #expect(throws: UVError.self) {
            _ = try Process(loop: loop, options: .init(executable: "/nonexistent/binary"))
        }
        loop.run()
        #expect(loop.openHandleCount == 0)
        try loop.close()
    }
}
