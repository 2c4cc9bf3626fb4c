import Foundation
import Testing
@testable import KernelCore

/// Replays the fuzz corpus kept in the repository (fuzz/corpus/<target>/*, including every
/// crash `make fuzz` ever found, as a regression) through the same targets libFuzzer runs.
struct FuzzCorpusReplayTests {
    static var corpusRoot: String {
        var p = #filePath
        for _ in 0..<3 { if let i = p.lastIndex(of: "/") { p = String(p[..<i]) } }
        return p + "/fuzz/corpus"
    }

    @Test(arguments: FuzzTargets.all.map(\.name)) func corpusReplays(_ name: String) throws {
        let dir = Self.corpusRoot + "/" + name
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        #expect(!files.isEmpty, "fuzz/corpus/\(name) has no seeds")
        let run = try #require(FuzzTargets.all.first { $0.name == name }?.run)
        for f in files {
            let bytes = try #require(FileManager.default.contents(atPath: dir + "/" + f))
            run(Array(bytes))
        }
    }
}
