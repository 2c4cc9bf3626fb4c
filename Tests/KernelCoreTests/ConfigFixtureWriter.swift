import Glibc
import Testing
@testable import KernelCore

/// One-off: freezes what the Swift catalogue's validator says about random configs of each
/// bundled type into Tests/Fixtures/component-configs/<type>.json (run with
/// MCPK_WRITE_CONFIG_FIXTURES=1 before the catalogue is deleted).
@Suite struct ConfigFixtureWriter {
    @Test(arguments: ComponentType.bundled) func write(_ t: ComponentType) throws {
        guard getenv("MCPK_WRITE_CONFIG_FIXTURES") != nil else { return }
        let spec = try #require(ComponentSpec.for(t))
        var rng = ParserRobustnessTests.SplitMix(state: 7)
        let values: [JSON] = [nil, true, 0, -1, 0.5, 2.0, 3, 70000, "", "x", "https://h", "git://h/r", "a/../b", "pick", "template",
                              "plugin", "merge", "csv", "arrow", "command: ls", [], ["a"], [1], [:], ["id": "s"],
                              [["id": "c", "type": "code", "content": "x"]], [["id": "c", "type": "sql"]]]
        var configs: [JSON] = []
        for _ in 0..<400 {
            var o = JSONObject([("type", .string(t.rawValue))])
            for f in spec.fields where Bool.random(using: &rng) { o[f.name] = values[Int.random(in: 0..<values.count, using: &rng)] }
            if Int.random(in: 0..<12, using: &rng) == 0 { o["extra"] = 1 }
            configs.append(.object(o))
        }
        configs += [
            ["type": .string(t.rawValue), "temperature": 5, "maxTokens": -1, "topP": "x", "bogus": 1],
            ["type": .string(t.rawValue), "codeContent": 1, "network": "no", "port": 0, "requirements": [1]],
            ["type": .string(t.rawValue), "notebookCells": [["id": "a", "type": "sql"]], "kernel": ""],
            ["type": .string(t.rawValue), "maxRows": 0, "format": "xml", "operation": "x", "tool": 1],
            ["type": .string(t.rawValue), "model": "m", "connection": "c", "query": "q", "operation": "merge"],
        ]
        // Valid ones too (stored forms): a minimal config plus random fields at their defaults.
        let minimal: [ComponentType: JSON] = [
            .llmPromptAgent: ["model": "m"], .jupyterNotebook: ["notebookPathRef": "n.ipynb"], .pythonScript: ["codeContent": "x"],
            .typeScriptScript: ["codeContent": "x"], .streamlitApp: ["codeContent": "x"],
            .mcp: ["mcpConfiguration": "command: ls", "tool": "t"], .data: ["connection": "c", "query": "q"],
            .utility: ["operation": "merge"], .output: ["name": "out"],
        ]
        for _ in 0..<60 {
            var o = JSONObject([("type", .string(t.rawValue))])
            for (k, v) in minimal[t]?.objectValue ?? JSONObject() { o[k] = v }
            for f in spec.fields where Bool.random(using: &rng) {
                if let d = f.defaultValue { o[f.name] = d.intValue.map { Bool.random(using: &rng) ? .double(Double($0)) : .int($0) } ?? d }
                else if Int.random(in: 0..<4, using: &rng) == 0 { o[f.name] = nil }
            }
            configs.append(.object(o))
        }
        var seen = Set<String>()
        var cases: [JSON] = []
        for config in configs where seen.insert(config.serialized()).inserted {
            let r = ComponentSpec.validate(config)
            var c = JSONObject()
            c["config"] = config
            c["errors"] = .array(r.errors.map { ["path": .string($0.path), "message": .string($0.message)] })
            c["normalized"] = r.normalized ?? .null
            cases.append(.object(c))
        }
        var doc = JSONObject()
        doc["type"] = .string(t.rawValue)
        doc["about"] = "Frozen from the kernel's former Swift catalogue validator (ComponentSpec.validate) before its deletion (issue 13): each config with the errors (path, message; compared as a set) and the stored form (normalized, null when invalid) the declared schema must give."
        doc["secret_inputs"] = JSON(ComponentSpec.secretInputs(of: t))
        doc["cases"] = .array(cases)
        var root = #filePath
        for _ in 0..<3 { root = String(root[..<root.lastIndex(of: "/")!]) }
        let path = root + "/Tests/Fixtures/component-configs/" + t.rawValue.lowercased().replacingSpaces() + ".json"
        let text = ConfigFixtureWriter.pretty(.object(doc), indent: "") + "\n"
        let f = try #require(fopen(path, "w"))
        fputs(text, f)
        fclose(f)
    }

    /// One case per line: readable diffs.
    static func pretty(_ v: JSON, indent: String) -> String {
        guard case .object(let o) = v else { return v.serialized() }
        var lines: [String] = []
        for (k, x) in o {
            if k == "cases", case .array(let a) = x {
                lines.append("  \(JSON.string(k).serialized()): [\n" + a.map { "    " + $0.serialized() }.joined(separator: ",\n") + "\n  ]")
            } else {
                lines.append("  \(JSON.string(k).serialized()): \(x.serialized())")
            }
        }
        return "{\n" + lines.joined(separator: ",\n") + "\n}"
    }
}
