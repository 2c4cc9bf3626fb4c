// libFuzzer entry of `mcpk-fuzz` (scripts/fuzz.sh): MCPK_FUZZ_TARGET picks one target of the
// tables in Tests/*/Fuzz/*FuzzTargets.swift.
import Glibc

let allFuzzTargets = FuzzTargets.all + HTTPFuzzTargets.all + ChannelFuzzTargets.all + ControlFuzzTargets.all
    + PluginChannelFuzzTargets.all

let fuzzTarget: @Sendable ([UInt8]) -> Void = {
    let name = getenv("MCPK_FUZZ_TARGET").map { String(cString: $0) } ?? ""
    guard let t = allFuzzTargets.first(where: { $0.name == name }) else {
        print("MCPK_FUZZ_TARGET must be one of: \(allFuzzTargets.map(\.name).joined(separator: ", "))")
        exit(2)
    }
    return t.run
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func mcpkFuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzTarget(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}
