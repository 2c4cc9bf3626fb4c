import ArgumentParser
import Glibc
import KernelClient
import KernelCore
import KernelLoop

/// `mcpk mcp`: the kernel as an MCP server on stdio, for desktop LLM clients. Each JSON-RPC
/// line read from stdin goes to the local kernel as `mcp.message` over the control socket;
/// replies and the notifications of a call (progress) are written to stdout, one line each.
/// Logs go to stderr only (stdout carries nothing but MCP messages).
struct MCPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp", abstract: "Serve the kernel's exposed workflows as MCP tools on stdio (bridged to the local kernel socket).")
    @OptionGroup var options: ClientOptions

    /// Longest stdin line accepted (the control socket's message limit).
    static let maxLineBytes = 16 << 20

    nonisolated(unsafe) static var client: ControlClient?
    static let out = ConditionLock()

    static func emit(_ message: JSON) {
        var bytes = message.serializedBytes()
        bytes.append(0x0A)
        out.withLock {
            var off = 0
            while off < bytes.count {
                let n = bytes[off...].withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
                if n <= 0 { if errno == EINTR { continue }; Glibc.exit(0) }
                off += n
            }
        }
    }

    func run() throws {
        let client = try options.connect()
        MCPCommand.client = client
        let session = Identifier.uuid()
        signal(SIGPIPE, SIG_IGN)
        // Reader: responses of mcp.message calls and mcp.notification pushes → stdout.
        var tid = pthread_t()
        _ = pthread_create(&tid, nil, { _ in
            guard let c = MCPCommand.client else { return nil }
            while let msg = try? c.readMessage() {
                if msg["method"]?.stringValue == "mcp.notification", let note = msg["params"]?["message"] {
                    MCPCommand.emit(note)
                } else if let err = msg["error"] {
                    // The control call itself failed (e.g. the kernel is stopping): tell the MCP client.
                    let mcpID = MCPCommand.pending.withLock { MCPCommand.ids.removeValue(forKey: msg["id"]?.intValue ?? -1) } ?? .null
                    MCPCommand.emit(["jsonrpc": "2.0", "id": mcpID, "error": ["code": -32603, "message": err["message"] ?? "kernel error"]])
                } else if let response = msg["result"]?["response"] {
                    _ = MCPCommand.pending.withLock { MCPCommand.ids.removeValue(forKey: msg["id"]?.intValue ?? -1) }
                    if !response.isNull { MCPCommand.emit(response) }
                }
            }
            // The kernel went away.
            Glibc.exit(0)
        }, nil)
        // Writer: stdin lines → mcp.message.
        var line: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(0, &chunk, chunk.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            for b in chunk[0..<n] {
                if b != 0x0A { line.append(b); continue }
                forward(line, client: client, session: session)
                line.removeAll(keepingCapacity: true)
            }
            if line.count > MCPCommand.maxLineBytes {
                MCPCommand.emit(["jsonrpc": "2.0", "id": .null, "error": ["code": -32600, "message": .string("message larger than \(MCPCommand.maxLineBytes) bytes")]])
                line.removeAll()
            }
        }
        if !line.isEmpty { forward(line, client: client, session: session) }
        // stdin closed: answer what is in flight, then exit (a client that closes stdin after
        // its last request still gets the reply).
        while MCPCommand.pending.withLock({ !MCPCommand.ids.isEmpty }) { usleep(10_000) }
    }

    static let pending = ConditionLock()
    nonisolated(unsafe) static var ids: [Int64: JSON] = [:]

    func forward(_ line: [UInt8], client: ControlClient, session: String) {
        guard line.contains(where: { $0 != 0x20 && $0 != 0x0D && $0 != 0x09 }) else { return }
        let message: JSON
        do { message = try JSONParser.parse(line) } catch {
            MCPCommand.emit(["jsonrpc": "2.0", "id": .null, "error": ["code": -32700, "message": .string("Parse error: \(error)")]])
            return
        }
        MCPCommand.pending.withLock {
            do {
                let id = try client.send(method: "mcp.message", params: ["session": .string(session), "message": message])
                MCPCommand.ids[id] = message["id"] ?? .null
            } catch {
                Glibc.exit(0)
            }
        }
    }
}
