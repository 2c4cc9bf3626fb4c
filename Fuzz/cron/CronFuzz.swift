import KernelCore

/// libFuzzer entry point for the cron parser and next-fire search (issue 18). Not part of any
/// SwiftPM target yet: `make fuzz` builds it with `-sanitize=fuzzer` against KernelCore and runs
/// it over `corpus/`. Any input must either be refused with a KernelError or give fire times
/// that strictly increase.
@_cdecl("LLVMFuzzerTestOneInput")
public func cronFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let cron = try? CronExpression(text) else { return 0 }
    var t: Int64 = 1_767_225_600  // 2026-01-01T00:00:00Z
    for _ in 0..<3 {
        guard let next = cron.nextFire(after: t, in: .utc) else { break }
        precondition(next > t, "nextFire went backwards for '\(text)'")
        t = next
    }
    return 0
}
