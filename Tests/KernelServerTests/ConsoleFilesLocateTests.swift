import Glibc
import KernelLoop
import Testing
@testable import KernelCore
@testable import KernelServices
@testable import KernelTransport

/// The console lookup rule (`ConsoleFiles.locate`): `MCPK_CONSOLE_DIR`, else the
/// repository next to a development build, else `<exe dir>/../share/mcpk/console`,
/// else not installed (404).
@Suite struct ConsoleFilesLocateTests {
    /// A fresh directory tree under /tmp with `files` (relative path → text).
    static func tree(_ files: [String: String]) -> String {
        var template = Array("/tmp/mcpk-console-locate-XXXXXX".utf8CString)
        let root = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        for (path, text) in files {
            var dir = root
            for part in path.split(separator: "/").dropLast() {
                dir += "/" + part
                mkdir(dir, 0o755)
            }
            let f = fopen(root + "/" + path, "w")
            fputs(text, f)
            fclose(f)
        }
        return root
    }

    static func mkdirs(_ path: String) {
        var dir = ""
        for part in path.split(separator: "/") {
            dir += "/" + part
            mkdir(dir, 0o755)
        }
    }

    @Test func theSettingWinsAndIsServed() async throws {
        let dir = ConsoleFilesLocateTests.tree(["index.html": "<html>override</html>"])
        // Even with a build tree next to the executable, the setting is used.
        let repo = ConsoleFilesLocateTests.tree(["console/index.html": "<html>repo</html>"])
        ConsoleFilesLocateTests.mkdirs(repo + "/.build/x86_64-unknown-linux-gnu/debug")
        let console = ConsoleFiles(settings: [ConsoleFiles.directorySetting: dir],
                                   executableDirectory: repo + "/.build/x86_64-unknown-linux-gnu/debug")
        #expect(console.source == .setting)
        #expect(console.root == dir)
        #expect(console.statusJSON["installed"] == true)
        #expect(console.statusJSON["dir"]?.stringValue == dir)
        let r = try await Task { @KernelActor in
            await HTTPAPITests.send(try HTTPAPITests.api(console: console), "GET", "/")
        }.value
        #expect(r.status == 200)
        #expect(String(decoding: r.body, as: UTF8.self) == "<html>override</html>")
    }

    @Test func aMissingSettingDirectoryIsNotInstalledAnd404() async throws {
        let repo = ConsoleFilesLocateTests.tree(["console/index.html": "<html>repo</html>"])
        ConsoleFilesLocateTests.mkdirs(repo + "/.build/x86_64-unknown-linux-gnu/debug")
        // Not silently replaced by the build tree: an explicit setting is the only place looked at.
        let console = ConsoleFiles(settings: [ConsoleFiles.directorySetting: repo + "/no-such-dir"],
                                   executableDirectory: repo + "/.build/x86_64-unknown-linux-gnu/debug")
        #expect(console.root == nil)
        #expect(console.source == .notInstalled)
        #expect(console.statusJSON["installed"] == false)
        #expect(console.statusJSON["source"]?.stringValue == "not_installed")
        let r = try await Task { @KernelActor in
            await HTTPAPITests.send(try HTTPAPITests.api(console: console), "GET", "/")
        }.value
        #expect(r.status == 404)
        #expect(String(decoding: r.body, as: UTF8.self).contains("the console is not installed"))
    }

    @Test func aDirectoryWithoutIndexIsNotAConsole() {
        let dir = ConsoleFilesLocateTests.tree(["app.css": "body{}"])
        #expect(ConsoleFiles.locate(setting: dir, executableDirectory: nil).root == nil)
    }

    @Test func buildTreeThenInstalledLayoutThenNothing() {
        let repo = ConsoleFilesLocateTests.tree(["console/index.html": "<html>repo</html>"])
        ConsoleFilesLocateTests.mkdirs(repo + "/.build/x86_64-unknown-linux-gnu/release")
        let dev = ConsoleFiles.locate(setting: nil, executableDirectory: repo + "/.build/x86_64-unknown-linux-gnu/release")
        #expect(dev.source == .buildTree)
        #expect(dev.root == repo + "/console")

        let prefix = ConsoleFilesLocateTests.tree(["share/mcpk/console/index.html": "<html>installed</html>"])
        ConsoleFilesLocateTests.mkdirs(prefix + "/bin")
        let installed = ConsoleFiles.locate(setting: "", executableDirectory: prefix + "/bin")
        #expect(installed.source == .installed)
        #expect(installed.root == prefix + "/share/mcpk/console")

        let empty = ConsoleFilesLocateTests.tree(["bin/readme": "x"])
        let none = ConsoleFiles.locate(setting: nil, executableDirectory: empty + "/bin")
        #expect(none.source == .notInstalled && none.root == nil)
        #expect(ConsoleFiles.locate(setting: nil, executableDirectory: nil).source == .notInstalled)
    }

    /// The real relative path: this test binary is built in `.build/<triple>/debug`
    /// like `mcpk`, so the rule finds this repository's console.
    @Test func theRealBuildDirectoryFindsTheRepositoryConsole() throws {
        let exe = try #require(KernelConfiguration.executableDirectory())
        let found = ConsoleFiles.locate(setting: nil, executableDirectory: exe)
        #expect(found.source == .buildTree)
        #expect(found.root?.hasSuffix("/console") == true)
    }
}
