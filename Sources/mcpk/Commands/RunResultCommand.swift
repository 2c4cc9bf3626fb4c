import ArgumentParser
import Glibc
import KernelCore

extension RunsCommand {
    /// `mcpk runs result RUN [STEP] [--full] [--output FILE]`: a step's result (or the run's
    /// outputs). Without `--full`, the stored form (a large value's reference and preview);
    /// with it, the whole JSON text, fetched in `run.result {offset, length}` chunks.
    struct Result: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A step's result or the run's outputs (--full: the whole value, streamed in chunks).")
        @OptionGroup var options: ClientOptions
        @Argument(help: "Run id.") var id: String
        @Argument(help: "Step id (omitted: the run's outputs).") var step: String?
        @Flag(help: "The whole value's JSON text, not its stored reference.") var full = false
        @Option(name: .shortAndLong, help: "Write the value to this file instead of stdout.") var output: String?

        func run() throws {
            let client = try options.connect()
            var params = JSONObject([("id", .string(id))])
            if let step { params["step"] = .string(step) }
            guard full else {
                let r = options.call(client, "run.result", .object(params))
                if options.json { CLI.print(r.serialized()); return }
                try emit(Array((r["value"] ?? .null).serialized().utf8) + [0x0A])
                return
            }
            let fd: Int32 = output.map { path in
                let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
                guard fd >= 0 else { CLI.fail("cannot create \(path): \(String(cString: strerror(errno)))") }
                return fd
            } ?? 1
            defer { if fd != 1 { close(fd) } }
            var offset: Int64 = 0
            var total: Int64 = 0
            while true {
                params["offset"] = .int(offset)
                params["length"] = JSON(ValueLimits.maxChunkBytes)
                let r = options.call(client, "run.result", .object(params))
                guard let data = r["data"]?.stringValue, let bytes = Base64.decode(data) else {
                    CLI.fail("run.result returned no data at offset \(offset)")
                }
                try write(fd, bytes)
                total += Int64(bytes.count)
                guard let next = r["next_offset"]?.intValue else { break }
                offset = next
            }
            if fd == 1 { try write(fd, [0x0A]) }
            if let output { var line = "wrote \(total) bytes to \(output)\n"; line.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) } }
        }

        private func emit(_ bytes: [UInt8]) throws {
            if let output {
                let fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
                guard fd >= 0 else { CLI.fail("cannot create \(output): \(String(cString: strerror(errno)))") }
                defer { close(fd) }
                try write(fd, bytes)
            } else {
                try write(1, bytes)
            }
        }

        private func write(_ fd: Int32, _ bytes: [UInt8]) throws {
            var off = 0
            while off < bytes.count {
                let n = bytes.withUnsafeBytes { b -> Int in
                    guard let base = b.baseAddress else { return 0 }
                    return Glibc.write(fd, base + off, b.count - off)
                }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { CLI.fail("write failed: \(String(cString: strerror(errno)))") }
                off += n
            }
        }
    }
}
