import Foundation
import Glibc
import KernelCore

/// `Fixtures/llm_stream_server.py` as a child process: a local OpenAI-compatible chat server
/// speaking HTTP/1.1 + SSE (optionally over TLS, optionally checking a Bearer key) whose
/// behaviour follows the requested model (see the script). Killed on `stop()` / deinit.
final class LLMTestServer {
    let process = Foundation.Process()
    let port: Int
    /// JSON lines: one per request (`path`, `auth`, `accept`, `body`) and per stream ending.
    let logPath: String

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/llm_stream_server.py").path

    init(logPath: String, key: String? = nil, tls: (cert: String, key: String)? = nil) throws {
        self.logPath = logPath
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        var args = [LLMTestServer.script, logPath]
        if let key { args += ["--key", key] }
        if let tls { args += ["--tls", tls.cert, tls.key] }
        process.arguments = args
        let out = Foundation.Pipe()
        process.standardOutput = out
        try process.run()
        var line = Data()
        while !line.contains(10) {
            let more = out.fileHandleForReading.availableData
            if more.isEmpty { throw KernelError.unavailable("the LLM test server exited before printing its port") }
            line += more
        }
        guard let p = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw KernelError.unavailable("the LLM test server printed no port")
        }
        port = p
    }

    deinit { stop() }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// `http(s)://127.0.0.1:<port>/v1`.
    func endpoint(tls: Bool = false) -> String { "\(tls ? "https" : "http")://127.0.0.1:\(port)/v1" }

    /// Every logged line, parsed.
    func log() -> [JSON] {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }
    }

    /// A self-signed certificate for 127.0.0.1 made with `openssl req -x509` in `dir`.
    static func selfSignedCertificate(in dir: String) throws -> (cert: String, key: String) {
        let cert = dir + "/llm-cert.pem", key = dir + "/llm-key.pem"
        let p = Foundation.Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        p.arguments = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1",
                       "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw KernelError.unavailable("openssl req -x509 failed (\(p.terminationStatus))") }
        return (cert, key)
    }
}
