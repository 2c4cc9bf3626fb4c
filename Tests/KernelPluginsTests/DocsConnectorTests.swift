import PluginTestSupport
import Foundation
import Glibc
import KernelCore
import KernelLoop
import KernelPlugins
import Testing

/// The minimal connector of docs/PLUGINS.md, built with the documented
/// one-line `cc` command, loaded and queried.
@Suite struct DocsConnectorTests {
    /// Extracts the C code between the minimal-connector markers.
    static func minimalConnectorSource() throws -> String {
        let path = TestSupport.root + "/docs/PLUGINS.md"
        guard let f = fopen(path, "r") else { throw KernelError.notFound("cannot read \(path)") }
        defer { fclose(f) }
        var text = ""
        var buf = [CChar](repeating: 0, count: 4096)
        while fgets(&buf, Int32(buf.count), f) != nil { text += String(nulTerminated: buf) }
        guard let b = text.range(of: "<!-- minimal-connector:begin -->"),
              let e = text.range(of: "<!-- minimal-connector:end -->"),
              let open = text.range(of: "```c\n", range: b.upperBound..<e.lowerBound),
              let close = text.range(of: "```", range: open.upperBound..<e.lowerBound) else {
            throw KernelError.internal("docs/PLUGINS.md has no minimal connector block")
        }
        return String(text[open.upperBound..<close.lowerBound])
    }

    /// Writes squares.c into a temp dir and runs the documented command from the repo root.
    static func buildDocumentedConnector(into dir: String) throws -> String {
        let source = try minimalConnectorSource()
        let cfile = dir + "/squares.c"
        guard let f = fopen(cfile, "w") else { throw KernelError.internal("cannot write \(cfile)") }
        fputs(source, f)
        fclose(f)
        let out = dir + "/libsquares.so"
        // Exactly the documented line, with the paths substituted.
        let rc = TestSupport.sh("cd '\(TestSupport.root)' && cc -shared -fPIC -Iinclude '\(cfile)' -o '\(out)'")
        if rc != 0 { throw KernelError.internal("documented cc command failed (\(rc))") }
        return out
    }

    @Test @KernelActor func documentedConnectorBuildsLoadsAndQueries() async throws {
        let dir = TestSupport.tempDir("docs")
        let so = try Self.buildDocumentedConnector(into: dir)
        let host = PluginHost(configuration: PluginHostConfiguration(directories: [dir]))
        let list = await host.discover()
        #expect(list.map(\.name) == ["squares"])
        #expect(list.first?.state == .loaded)
        #expect(list.first?.metadata?.configSchema?["properties"]?["count"]?["type"] == "integer")
        let conn = try await host.connect(plugin: "squares", config: ["count": 5], secret: nil)
        let r = try await conn.query(QueryRequest(sql: "squares", params: [10], maxRows: 3))
        #expect(r.columns.map(\.name) == ["n", "square"])
        #expect(r.rows == [[10, 100], [11, 121], [12, 144]])
        #expect(r.truncated)
        let all = try await conn.query(QueryRequest(sql: "squares"))
        #expect(all.rows.count == 5 && !all.truncated)
        // "then test, scan, query": the documented connector implements all three.
        #expect(try await conn.test().serverVersion == "squares 1.0.0")
        let schema = try await conn.scan()
        #expect(schema["schemas"]?[0]?["tables"]?[0]?["columns"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["n", "square"])
        #expect(try await conn.scan(depth: 1)["schemas"] == [["name": "main"]])
        await #expect(throws: KernelError.self) { _ = try await conn.scan(schema: "other") }
        await #expect(throws: KernelError.self) { _ = try await conn.query(QueryRequest(sql: "x", params: ["a"])) }
        await #expect(throws: KernelError.self) { _ = try await host.connect(plugin: "squares", config: ["count": -1], secret: nil) }
        await conn.close()
        await host.shutdown()
        _ = so
    }

    @Test func pkgConfigFileGivesTheIncludeDir() throws {
        let root = TestSupport.root
        let out = TestSupport.tempDir("pc") + "/cflags"
        let rc = TestSupport.sh("PKG_CONFIG_PATH='\(root)' pkg-config --define-variable=prefix='\(root)' --cflags mcpk-plugin > '\(out)'")
        #expect(rc == 0)
        if let f = fopen(out, "r") {
            var buf = [CChar](repeating: 0, count: 1024)
            _ = fgets(&buf, 1024, f)
            fclose(f)
            #expect(String(nulTerminated: buf).trimmedBlank() == "-I\(root)/include")
        }
    }
}

extension String {
    func trimmedBlank() -> String {
        let set = " \n"
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
