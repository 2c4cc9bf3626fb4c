import Foundation
import Glibc
import Testing

/// The idle footprint contract of docs/ARCHITECTURE.md ("Performance: idle
/// memory"): the running `mcpk serve` maps neither Foundation nor ICU (an
/// `import Foundation` or a SwiftPM `resources:` line in a module linked into
/// `mcpk` would bring them back, about 6 MiB of RSS and 20 ms of start-up).
@Suite struct IdleFootprintTests {
    @Test func theKernelMapsNoFoundationAndNoICU() throws {
        let k = try KernelProcess.start()
        defer { k.stop() }
        let maps = IdleFootprintTests.readProcFile("/proc/\(k.process.processIdentifier)/maps")
        #expect(maps.contains("/mcpk"))  // the kernel binary itself is mapped: this is its map
        // FoundationEssentials (swift-argument-parser, no ICU) is allowed.
        let unwanted = Set(maps.split(separator: "\n").compactMap { line -> String? in
            guard let path = line.split(separator: " ", omittingEmptySubsequences: true).last,
                  path.contains("libFoundation.so") || path.contains("libFoundationInternationalization")
                    || path.contains("ICU") else { return nil }
            return String(path)
        })
        #expect(unwanted.isEmpty, "mapped: \(unwanted.sorted())")
    }

    /// A /proc file read to EOF (its size reads as 0, so size-based readers truncate it).
    static func readProcFile(_ path: String) -> String {
        guard let f = fopen(path, "r") else { return "" }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            if n == 0 { break }
            bytes.append(contentsOf: buf[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
