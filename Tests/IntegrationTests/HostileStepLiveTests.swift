import HTTPTestSupport
import Foundation
import Glibc
import KernelClient
import KernelCore
import Testing

/// Hostile Python steps run by a real `mcpk serve` (HTTP on): the kernel's own
/// secret.key, its HTTP port and control socket stay out of reach, and the
/// kernel keeps answering afterwards.
@Suite(.serialized) struct HostileStepLiveTests {
    @Test func stepCannotReachTheKernelsSecretPortOrSocket() throws {
        let port = HTTPTestClient.freePort()
        let k = try KernelProcess.start(env: [:], http: "127.0.0.1:\(port)")
        defer { k.stop() }
        // The store created the real key on start.
        #expect(access(k.home + "/secret.key", F_OK) == 0)
        _ = try k.call("component.create", ["name": "probe", "config": ["type": "Python Script", "codeContent": """
        import socket, os
        def main(home, port, sock):
            out = {}
            try: open(home + "/secret.key", "rb").read(); out["secret"] = "read"
            except Exception as e: out["secret"] = "denied:" + type(e).__name__
            try: socket.create_connection(("127.0.0.1", port), timeout=3).close(); out["http"] = "connected"
            except Exception as e: out["http"] = "denied:" + type(e).__name__
            try:
                s = socket.socket(socket.AF_UNIX); s.settimeout(3); s.connect(sock); out["socket"] = "connected"
            except Exception as e: out["socket"] = "denied:" + type(e).__name__
            try: os.kill(1, 9); out["kill1"] = "sent"
            except Exception as e: out["kill1"] = "denied:" + type(e).__name__
            return out
        """]])
        _ = try k.call("workflow.create", ["name": "probe", "definition": ["steps": [["id": "p", "component": "probe", "inputs": [
            "home": .string(k.home), "port": JSON(port), "sock": .string(k.socketPath)]]]]])
        let id = try k.call("workflow.run", ["id": "probe", "inputs": [:]])["run_id"]?.stringValue ?? ""
        var run: JSON = .null
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            run = try k.call("run.get", ["id": .string(id)])
            if let s = run["status"]?.stringValue, ["succeeded", "failed", "cancelled", "timed_out"].contains(s) { break }
            usleep(50_000)
        }
        #expect(run["status"] == "succeeded", "\(run)")
        let r = run["steps"]?.arrayValue?.first?["result"]
        for key in ["secret", "http", "socket"] {
            #expect(r?[key]?.stringValue?.hasPrefix("denied:") == true, "\(key): \(String(describing: r?[key]))")
        }
        // pid 1 of the step's namespace is bwrap's init, not the host's: the kernel is untouched either way.
        #expect(try k.call("kernel.status")["pid"]?.intValue == Int64(k.pid))
        let (rc, body, _) = try KernelProcess.run("/usr/bin/curl", ["-sf", "--max-time", "5", "http://127.0.0.1:\(port)/healthz"])
        #expect(rc == 0 && !body.isEmpty)
    }
}
