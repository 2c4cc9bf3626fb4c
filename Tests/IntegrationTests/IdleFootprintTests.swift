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
        let maps = try #require(try? String(contentsOfFile: "/proc/\(k.process.processIdentifier)/maps", encoding: .utf8))
        #expect(maps.contains("/mcpk"))  // the kernel binary itself is mapped: this is its map
        #expect(!maps.contains("libFoundation.so"))
        #expect(!maps.contains("libFoundationInternationalization"))
        #expect(!maps.contains("FoundationICU"))
    }
}
