import KernelCore
import KernelLoop

/// What the kernel's former Swift catalogue validator said about random configs of one bundled
/// type, frozen before it was deleted (issue 13): `Tests/Fixtures/component-configs/<type>.json`.
/// The parity tests hold the plugin-declared validation to it, so a declared schema that drifts
/// from the behaviour components were created under fails a test.
public struct ComponentConfigFixture: Sendable, CustomStringConvertible {
    public struct Case: Sendable {
        public let config: JSON
        /// The errors as "path: message" (compared as a set: their order is not part of it).
        public let errors: Set<String>
        /// The stored form, or nil when the config is invalid.
        public let normalized: JSON?
    }

    public let type: ComponentType
    public let secretInputs: [String]
    public let cases: [Case]

    /// The type (how a parameterised test names its argument).
    public var description: String { "\(type.rawValue) (\(cases.count) cases)" }

    public static let directory = TestSupport.root + "/Tests/Fixtures/component-configs"

    /// Every fixture, by file name.
    public static func all() throws -> [ComponentConfigFixture] {
        try TestSupport.files(in: directory, suffix: ".json").map(load)
    }

    public static func load(_ path: String) throws -> ComponentConfigFixture {
        let doc = try JSONParser.parse(WholeFile.bytes(path, limit: maxFixtureBytes))
        guard let type = doc["type"]?.stringValue, let cases = doc["cases"]?.arrayValue else {
            throw KernelError.invalidParams("\(path): not a component config fixture (type, cases)")
        }
        return ComponentConfigFixture(
            type: ComponentType(type), secretInputs: (doc["secret_inputs"]?.arrayValue ?? []).compactMap(\.stringValue),
            cases: cases.map { c in
                Case(config: c["config"] ?? .null,
                     errors: Set((c["errors"]?.arrayValue ?? []).map { "\($0["path"]?.stringValue ?? ""): \($0["message"]?.stringValue ?? "")" }),
                     normalized: c["normalized"].flatMap { v -> JSON? in v.isNull ? .none : v })
            })
    }

    /// Largest fixture file read.
    static let maxFixtureBytes = 8 << 20

    /// The cases `types` validates differently from the fixture, described (empty: parity).
    public func mismatches(_ types: ComponentTypes) -> [String] {
        cases.compactMap { c in
            let r = types.validate(c.config)
            let got = Set(r.errors.map(\.description))
            guard got != c.errors || r.normalized != c.normalized else { return nil }
            return "\(c.config.serialized()):\n  fixture:  \(c.errors.sorted()) \(c.normalized?.serialized() ?? "-")\n  declared: \(got.sorted()) \(r.normalized?.serialized() ?? "-")"
        }
    }
}
