import Foundation
import Testing

/// Replays fuzz/corpus/ndjson/* (seeds and regressions) through the `ndjson` fuzz target.
struct ControlFuzzReplayTests {
    @Test(arguments: ControlFuzzTargets.all.map(\.name)) func corpusReplays(_ name: String) throws {
        var root = #filePath
        for _ in 0..<4 { if let i = root.lastIndex(of: "/") { root = String(root[..<i]) } }
        let dir = root + "/fuzz/corpus/" + name
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        #expect(!files.isEmpty)
        let run = try #require(ControlFuzzTargets.all.first { $0.name == name }?.run)
        for f in files { run(Array(try #require(FileManager.default.contents(atPath: dir + "/" + f)))) }
    }
}
