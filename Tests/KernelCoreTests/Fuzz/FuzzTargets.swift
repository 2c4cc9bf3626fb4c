// The fuzz targets of KernelCore's parsers (issue 16). One table, compiled twice:
// into `mcpk-fuzz` with KernelCore's sources and libFuzzer (`make fuzz`, scripts/fuzz.sh),
// and into KernelCoreTests, where `FuzzCorpusReplayTests` replays fuzz/corpus/<target>/*
// on every `make test`. A target must never crash, hang or trap on any input; errors are fine.
#if canImport(KernelCore)
import KernelCore
#endif

enum FuzzTargets {
    /// A context for resolving fuzzed references and `when` expressions.
    static let context = ReferenceContext(
        inputs: ["x": 1, "s": "text", "items": [1, ["k": "v"], .null], "flag": true],
        steps: ["a": .init(status: .succeeded, result: ["items": [1, 2, 3], "ok": true]),
                "b": .init(status: .failed, error: "boom"),
                "big": .init(status: .succeeded, result: BlobReference(digest: String(repeating: "0", count: 64), size: 1 << 20,
                                                                         preview: "{").json)])

    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    static let all: [(name: String, run: @Sendable ([UInt8]) -> Void)] = [
        ("json", { bytes in
            // Parse, and a parsed value must serialise and parse back to itself.
            guard let v = try? JSONParser.parse(bytes) else { return }
            let again = try? JSONParser.parse(v.serializedBytes())
            if again != v, !v.serialized().contains("nan") { fatalErrorForFuzzer("JSON round trip changed \(v)") }
            _ = v.canonical()
            _ = v.serializedSizeExceeds(64)
            _ = BlobReference(v)
        }),
        ("when", { bytes in
            guard let e = try? WhenExpression.parse(text(bytes)) else { return }
            _ = try? e.evaluate(in: context)
            _ = e.references
        }),
        ("template", { bytes in
            let s = text(bytes)
            if let t = try? Template.parse(s) { _ = try? t.resolve(in: context) }
            if let r = try? Reference.parse(s) { _ = try? r.resolve(in: context); _ = r.description }
            _ = Template.references(in: .string(s), path: "p")
        }),
        ("yaml", { bytes in _ = try? YAML.parse(text(bytes)) }),
        ("dotenv", { bytes in _ = try? DotEnv.parse(text(bytes)) }),
        ("mcpconfig", { bytes in _ = MCPConfiguration.parse(text(bytes), path: "mcpConfiguration") }),
        ("retention", { bytes in _ = try? RetentionPolicy.parse(text(bytes)) }),
        ("cron", { bytes in
            // Refused with an error, or fire times that strictly increase (issue 18's parser).
            guard let cron = try? CronExpression(text(bytes)) else { return }
            var t: Int64 = 1_767_225_600  // 2026-01-01T00:00:00Z
            for _ in 0..<3 {
                guard let next = cron.nextFire(after: t, in: .utc) else { break }
                if next <= t { fatalErrorForFuzzer("cron nextFire went backwards for '\(text(bytes))'") }
                t = next
            }
        }),
        ("base64", { bytes in
            guard let decoded = Base64.decode(text(bytes)) else { return }
            if Base64.decode(Base64.encode(decoded)) != decoded { fatalErrorForFuzzer("base64 round trip") }
        }),
    ]

    /// A property violation: trap so libFuzzer records the input (never reached in the kernel).
    static func fatalErrorForFuzzer(_ message: String) -> Never {
        print("fuzz property violated: \(message)")
        abort()
    }
}

#if canImport(Glibc)
import Glibc
#endif
