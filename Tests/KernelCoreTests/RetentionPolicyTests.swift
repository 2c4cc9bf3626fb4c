import Testing
@testable import KernelCore

struct RetentionPolicyTests {
    @Test func parsesAgesAndKeys() throws {
        let p = try RetentionPolicy.parse("runs=30d, events=12h,artifacts=15m,blobs=0s")
        #expect(p.runsMilliseconds == Int64(30 * 86_400_000))
        #expect(p.eventsMilliseconds == Int64(12 * 3_600_000))
        #expect(p.artifactsMilliseconds == Int64(15 * 60_000))
        #expect(p.blobGraceMilliseconds == 0)
        #expect(!p.keepsEverything)
        #expect(try RetentionPolicy.parse("").keepsEverything)
        #expect(try RetentionPolicy.parse("blobs=1h").keepsEverything)
    }

    @Test func namesEveryProblemAtOnce() {
        do {
            _ = try RetentionPolicy.parse("runs=30x,logs=1d,events")
            Issue.record("accepted a malformed policy")
        } catch let e as KernelError {
            #expect(e.kind == .invalidParams)
            #expect(e.errors.map(\.path) == ["MCPK_RETENTION.runs", "MCPK_RETENTION.logs", "MCPK_RETENTION"])
        } catch {
            Issue.record("\(error)")
        }
        #expect(throws: KernelError.self) { try RetentionPolicy.parse("runs=99999999999999999d") }
    }
}
