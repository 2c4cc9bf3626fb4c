import Glibc
import KernelCore
import KernelLoop
import Testing
@testable import KernelEngine

/// How a Data step's Arrow artifact reaches a dependant: references found in inputs, files
/// staged into the work dir by a streamed copy.
@Suite struct ArtifactReferenceTests {
    @Test func referencesAreFoundAnywhereOnceAndOnlyWhenValid() {
        let inputs: JSON = ["data": ["artifact": ["$artifact": "q.arrows", "rows": 3]],
                            "more": [["$artifact": "b.arrows"], ["$artifact": "q.arrows"], ["$artifact": "../etc/passwd"],
                                     ["$artifact": 7], ["name": "x.arrows"]]]
        #expect(ArtifactNames.referenced(in: inputs) == ["q.arrows", "b.arrows"])
        #expect(ArtifactNames.referenced(in: ["a": 1, "b": "$artifact"]) == [])
        #expect(MIMETypes.mediaType(forPath: "q.arrows") == "application/vnd.apache.arrow.stream")
    }

    @Test func stagingCopiesIntoTheWorkDirAndNamesWhatIsMissing() throws {
        var template = Array("/tmp/mcpk-stage-XXXXXX".utf8CString)
        guard let dir = mkdtemp(&template).map({ String(cString: $0) }) else { throw KernelError.internal("mkdtemp") }
        defer { _ = system("rm -rf '\(dir)'") }
        let source = dir + "/source.arrows"
        let bytes = (0..<(FileCopy.chunkBytes + 123)).map { UInt8($0 % 251) }  // more than one chunk
        #expect(ArtifactNames.writeFile(source, bytes))
        _ = mkdir(dir + "/work", 0o700)
        #expect(FileCopy.stage(["artifacts/q.arrows": source], into: dir + "/work", limit: 1 << 30) == nil)
        #expect((try? WholeFile.bytes(dir + "/work/artifacts/q.arrows", limit: 1 << 30)) == bytes)

        let missing = FileCopy.stage(["artifacts/gone.arrows": dir + "/gone.arrows"], into: dir + "/work", limit: 1 << 30)
        #expect(missing?.contains("artifacts/gone.arrows") == true, "\(missing ?? "")")
        let big = FileCopy.stage(["artifacts/big.arrows": source], into: dir + "/work", limit: 1000)
        #expect(big?.contains("limit 1000 bytes") == true, "\(big ?? "")")
        #expect(FileCopy.stage(["../escape": source], into: dir + "/work", limit: 1 << 30)?.contains("escapes") == true)
    }
}
