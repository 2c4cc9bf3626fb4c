import Glibc
import KernelCore
import Testing
@testable import KernelSandbox

/// Resolving component source paths on disk: checkout entry scripts, notebook
/// references, a repository's requirements.txt, the plan members that ask for them.
@Suite struct SourceFilesTests {
    /// A temp tree: root/{app.py, sub/page.py, inner -> sub/page.py, out -> /etc/hostname, up -> ../outside/x.py}, outside/x.py.
    final class Tree {
        let base: String
        var root: String { base + "/root" }
        init() {
            var template = Array("/tmp/mcpk-src-XXXXXX".utf8CString)
            base = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
            mkdir(root, 0o755); mkdir(root + "/sub", 0o755); mkdir(base + "/outside", 0o755)
            write("root/app.py", "print(1)\n"); write("root/sub/page.py", "print(2)\n"); write("outside/x.py", "secret\n")
            symlink("sub/page.py", root + "/inner")
            symlink("/etc/hostname", root + "/out")
            symlink("../outside/x.py", root + "/up")
        }
        func write(_ rel: String, _ text: String) { _ = KernelSandbox.writeFile(base + "/" + rel, text) }
        deinit { KernelSandbox.removeTree(base) }
    }

    func kind<T>(_ body: () throws -> T) -> (String, String)? {
        do { _ = try body(); return nil } catch let e as KernelError { return (e.kind.rawValue, e.message) } catch { return ("?", "\(error)") }
    }

    @Test func entryScriptsResolveInsideTheirRoot() throws {
        let t = Tree()
        #expect(try SourceFiles.resolve("app.py", inside: t.root, field: "mainScriptPath").relative == "app.py")
        #expect(try SourceFiles.resolve("./sub/page.py", inside: t.root, field: "mainScriptPath").relative == "sub/page.py")
        // A symlink inside the root is followed to its target (which the step then sees at the same relative path).
        #expect(try SourceFiles.resolve("inner", inside: t.root, field: "mainScriptPath").relative == "sub/page.py")
        #expect(kind { try SourceFiles.resolve("out", inside: t.root, field: "mainScriptPath") }?.1
                == "mainScriptPath 'out': resolves outside its root (symlink)")
        #expect(kind { try SourceFiles.resolve("up", inside: t.root, field: "mainScriptPath") }?.1
                == "mainScriptPath 'up': resolves outside its root (symlink)")
        #expect(kind { try SourceFiles.resolve("../outside/x.py", inside: t.root, field: "mainScriptPath") }?.1
                == "mainScriptPath '../outside/x.py': must not contain '..'")
        #expect(kind { try SourceFiles.resolve("/etc/hostname", inside: t.root, field: "mainScriptPath") }?.0 == "invalid_params")
        #expect(kind { try SourceFiles.resolve("sub", inside: t.root, field: "mainScriptPath") }?.1
                == "mainScriptPath 'sub': is not a regular file")
        #expect(kind { try SourceFiles.resolve("nope.py", inside: t.root, field: "mainScriptPath") }?.0 == "not_found")
        do {
            _ = try SourceFiles.resolve("out", inside: t.root, field: "mainScriptPath")
        } catch let e as KernelError {
            #expect(e.errors.map(\.description) == ["config.mainScriptPath: resolves outside its root (symlink)"])
        }
    }

    @Test func notebooksAreReadSizeCheckedAndValidated() throws {
        let t = Tree()
        let nb = #"{"nbformat":4,"nbformat_minor":5,"metadata":{},"cells":[{"cell_type":"code","source":["x = 1"],"metadata":{},"outputs":[],"execution_count":null}]}"#
        t.write("root/sub/ok.ipynb", nb)
        t.write("root/v3.ipynb", #"{"nbformat":3,"metadata":{},"worksheets":[]}"#)
        t.write("root/text.ipynb", "not json")
        t.write("outside/secret.ipynb", nb)
        symlink("../outside/secret.ipynb", t.root + "/link.ipynb")
        #expect(try NotebookFiles.read("sub/ok.ipynb", root: t.root) == Array(nb.utf8))
        #expect(kind { try NotebookFiles.read("link.ipynb", root: t.root) }?.1 == "notebookPathRef 'link.ipynb': resolves outside its root (symlink)")
        #expect(kind { try NotebookFiles.read("../outside/secret.ipynb", root: t.root) }?.1
                == "notebookPathRef '../outside/secret.ipynb': must not contain '..'")
        #expect(kind { try NotebookFiles.read("v3.ipynb", root: t.root) }?.1
                == "notebookPathRef 'v3.ipynb': is not a valid nbformat v4 notebook: nbformat is 3, expected 4")
        #expect(kind { try NotebookFiles.read("text.ipynb", root: t.root) }?.1.hasPrefix("notebookPathRef 'text.ipynb': is not a valid nbformat v4 notebook: not JSON") == true)
        #expect(kind { try NotebookFiles.read("app.py", root: t.root) }?.1 == "notebookPathRef 'app.py': must name an .ipynb file")
        #expect(kind { try NotebookFiles.read("missing.ipynb", root: t.root) }?.1 == "notebookPathRef 'missing.ipynb': no such file")
        #expect(kind { try NotebookFiles.read("x.ipynb", root: t.base + "/no-root") }?.0 == "unavailable")
        // Over the size limit: refused before parsing.
        let big = "{\"nbformat\":4,\"metadata\":{},\"cells\":[],\"pad\":\"" + String(repeating: "x", count: NotebookFiles.maxBytes) + "\"}"
        t.write("root/big.ipynb", big)
        #expect(kind { try NotebookFiles.read("big.ipynb", root: t.root) }?.1 == "notebookPathRef 'big.ipynb': is larger than \(NotebookFiles.maxBytes) bytes")
    }

    @Test func repositoryRequirementsArePyPIOnly() throws {
        let t = Tree()
        #expect(try GitCheckouts.repositoryRequirements(tree: t.root) == nil)
        t.write("root/requirements.txt", "# deps\nstreamlit>=1.30  # ui\n\npandas[excel]==2.2; python_version >= '3.9'\n")
        #expect(try GitCheckouts.repositoryRequirements(tree: t.root) == ["streamlit>=1.30", "pandas[excel]==2.2; python_version >= '3.9'"])
        for (line, message) in [("-r other.txt", "pip options are not allowed (PyPI only)"),
                                ("--index-url https://evil.example/simple", "pip options are not allowed (PyPI only)"),
                                ("-e git+https://host/r.git#egg=x", "pip options are not allowed (PyPI only)"),
                                ("pkg @ https://host/pkg.whl", "direct URL references are not allowed (PyPI only)"),
                                ("git+https://host/r.git", "direct URL references are not allowed (PyPI only)"),
                                ("./local/pkg", "local paths are not allowed (PyPI only)"),
                                ("/abs/pkg.whl", "local paths are not allowed (PyPI only)")] {
            t.write("root/requirements.txt", "ok==1\n" + line + "\n")
            #expect(kind { try GitCheckouts.repositoryRequirements(tree: t.root) }?.1 == "requirements.txt line 2: \(message) (\(line))")
        }
        // A symlink is not followed (it could point at any file of the kernel's).
        KernelSandbox.removeTree(t.root + "/requirements.txt")
        symlink("/etc/hostname", t.root + "/requirements.txt")
        #expect(kind { try GitCheckouts.repositoryRequirements(tree: t.root) }?.1 == "requirements.txt of the repository is not a regular file")
    }

    @Test func planMembersForSources() throws {
        let p = try ProcessPlan(json: ["argv": ["{python}", "{entry}"],
                                       "source": ["git": "https://example.com/r.git", "ref": "v1", "entry": "src/app.py"],
                                       "notebook_ref": ["path": "a/b.ipynb", "file": "source.ipynb"]])
        #expect(p.gitSource == ProcessPlan.GitSource(url: "https://example.com/r.git", ref: "v1", entry: "src/app.py"))
        #expect(p.notebookReference == ProcessPlan.NotebookReference(path: "a/b.ipynb", file: "source.ipynb"))
        do {
            _ = try ProcessPlan(json: ["argv": ["x"], "source": ["git": "file:///srv/r", "entry": "../a.py"],
                                       "notebook_ref": ["path": "/etc/x.ipynb", "file": "nb.ipynb"]])
            Issue.record("accepted a bad source")
        } catch let e as KernelError {
            #expect(e.errors.map(\.path) == ["source.git", "source.entry", "notebook_ref.path"])
        }
    }
}
