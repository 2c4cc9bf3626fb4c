import PluginTestSupport
import Testing
@testable import KernelCore

/// Parsers face user input: random and truncated inputs must produce a value or
/// an error — never a crash — and errors must carry a message.
@Suite struct ParserRobustnessTests {
    /// A small deterministic generator (SplitMix64) so failures reproduce.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let alphabet: [Character] = Array("ab01 -:#\n\t\"'[]{},.|>&*!$()=<\\_ueE") + ["é", "😀"]

    func randomText(_ rng: inout SplitMix, maxLength: Int = 60) -> String {
        let n = Int.random(in: 0...maxLength, using: &rng)
        return String((0..<n).map { _ in ParserRobustnessTests.alphabet[Int.random(in: 0..<ParserRobustnessTests.alphabet.count, using: &rng)] })
    }

    @Test func randomInputsNeverCrash() {
        var rng = SplitMix(state: 0x5EED)
        var parsed = 0, rejected = 0
        let ctx = ReferenceContext(inputs: ["a": 1, "b": ["c": "x"]], steps: ["a": .init(status: .succeeded, result: [1, 2])])
        for _ in 0..<3000 {
            let text = randomText(&rng)
            do { _ = try YAML.parse(text); parsed += 1 } catch let e as YAML.Error { #expect(!e.message.isEmpty); rejected += 1 } catch { Issue.record("unexpected \(error)") }
            do { _ = try WhenExpression.parse(text).evaluate(in: ctx); parsed += 1 } catch let e as ExpressionError { #expect(!e.message.isEmpty); rejected += 1 } catch { Issue.record("unexpected \(error)") }
            do { _ = try Template.parse(text).resolve(in: ctx); parsed += 1 } catch let e as ExpressionError { #expect(!e.message.isEmpty); rejected += 1 } catch { Issue.record("unexpected \(error)") }
            let (_, errors) = MCPConfiguration.parse(text, path: "c")
            #expect(errors.allSatisfy { !$0.message.isEmpty && $0.path.hasPrefix("c") })
        }
        #expect(parsed > 0 && rejected > 0)
    }

    @Test func everyPrefixOfValidDocumentsIsHandled() throws {
        let docs = [
            "command: npx\nargs: [\"-y\", 'srv']\nenv:\n  A: 1\nlist:\n- x\n- {k: [1, 2]}\ntext: |\n  a\n  b\n",
            "(inputs.a >= 1 && steps.a.result[1] == 2) || !(${inputs.b.c} != 'x')",
            "pre ${steps.a.result[0]} mid $${lit} ${inputs[\"b\"].c} post",
        ]
        for doc in docs {
            let chars = Array(doc)
            for n in 0...chars.count {
                let prefix = String(chars[0..<n])
                _ = try? YAML.parse(prefix)
                _ = try? WhenExpression.parse(prefix)
                _ = try? Template.parse(prefix)
            }
        }
        #expect(try WhenExpression.parse(docs[1]).evaluate(in: ReferenceContext(inputs: ["a": 1, "b": ["c": "x"]],
                                                                                   steps: ["a": .init(status: .succeeded, result: [1, 2])])))
    }

    @Test func randomConfigsAndDefinitionsReportPaths() {
        var rng = SplitMix(state: 42)
        let values: [JSON] = [nil, true, 0, -1, 0.5, 3, 70000, "", "x", "https://h", [], ["a"], [1], [:], ["id": "s"]]
        func pick() -> JSON { values[Int.random(in: 0..<values.count, using: &rng)] }
        #expect(bundledTypes.names.count >= 9, "\(BundledComponentTypes.loadErrors)")
        for type in bundledTypes.names {
            let fields = (bundledTypes.schema(of: type)?["properties"]?.objectValue?.keys ?? []).filter { $0 != "type" }
            for _ in 0..<200 {
                var o = JSONObject([("type", .string(type.rawValue))])
                for f in fields where Bool.random(using: &rng) { o[f] = pick() }
                if Int.random(in: 0..<10, using: &rng) == 0 { o["extra"] = pick() }
                let r = bundledTypes.validate(.object(o))
                if r.errors.isEmpty {
                    // A valid config normalises to a fixed point with the same checksum.
                    #expect(r.normalized.map { bundledTypes.validate($0).normalized == $0 } ?? false)
                } else {
                    #expect(r.normalized == nil)
                    #expect(r.errors.allSatisfy { $0.path == "config" || $0.path.hasPrefix("config.") })
                }
            }
        }
        let ids: [JSON] = ["a", "b", "c", "9", ""]
        for _ in 0..<500 {
            var steps: [JSON] = []
            for _ in 0..<Int.random(in: 0...4, using: &rng) {
                var s = JSONObject([("id", ids[Int.random(in: 0..<ids.count, using: &rng)]), ("component", "fetch")])
                if Bool.random(using: &rng) { s["needs"] = .array((0..<Int.random(in: 0...2, using: &rng)).map { _ in ids[Int.random(in: 0..<ids.count, using: &rng)] }) }
                if Bool.random(using: &rng) { s["inputs"] = ["x": .string("${steps.\(["a", "b", "c"][Int.random(in: 0..<3, using: &rng)]).result}")] }
                steps.append(.object(s))
            }
            let (def, errors) = WorkflowDefinition.validate(["steps": .array(steps)], lookup: catalogue)
            if let def {
                #expect(errors.isEmpty)
                #expect(def.topologicalOrder.count == def.steps.count)
            } else {
                #expect(!errors.isEmpty)
                #expect(errors.allSatisfy { $0.path.hasPrefix("steps") })
            }
        }
    }
}
