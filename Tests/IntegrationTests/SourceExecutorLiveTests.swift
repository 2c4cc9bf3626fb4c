import Foundation
import Glibc
import KernelClient
import KernelCore
import Testing

/// Component sources the kernel fetches for a step, through a real `mcpk serve`:
/// a Streamlit App from `gitRepoUrl` (a real repository served over git's dumb
/// HTTP protocol by `python3 -m http.server` on loopback) and a notebook from
/// `notebookPathRef` under `MCPK_NOTEBOOK_DIR`.
@Suite(.serialized) struct SourceExecutorLiveTests {
    typealias Fixture = EngineLiveTests.Fixture

    static var hasRuntime: Bool { ProcessExecutorLiveTests.hasRuntime }

    static func step(_ s: JSON, _ id: String) -> JSON? { s["steps"]?.arrayValue?.first { $0["id"]?.stringValue == id } }

    /// Kernel log lines (`stream: kernel`) of a run.
    static func kernelLines(_ f: Fixture, _ id: String) throws -> [String] {
        try f.events(id).filter { $0["type"] == "log" && $0["payload"]?["stream"] == "kernel" }
            .compactMap { $0["payload"]?["line"]?.stringValue }
    }

    /// Waits for a service step's `{url}` preview.
    static func serviceURL(_ f: Fixture, _ id: String, timeout: Double = 300) throws -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let u = try f.events(id).compactMap({ $0["type"] == "result_preview" ? $0["payload"]?["value"]?["url"]?.stringValue : nil }).first {
                return u
            }
            let r = try f.kernel.call("run.get", ["id": .string(id)])
            if let s = r["status"]?.stringValue, ["succeeded", "failed", "cancelled", "timed_out"].contains(s) { return nil }
            usleep(200_000)
        }
        return nil
    }

    /// A directory of git repositories served read-only over HTTP (git's dumb protocol) on 127.0.0.1.
    final class GitHTTPServer {
        let root: String
        let port: Int
        let logPath: String
        private let process: Foundation.Process

        init() throws {
            root = NSTemporaryDirectory() + "mcpk-git-" + String(Int.random(in: 100_000..<999_999))
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            logPath = root + ".log"
            port = GitHTTPServer.freePort()
            process = Foundation.Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = ["-u", "-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", root]
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
            let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
            process.standardOutput = log
            process.standardError = log
            try process.run()
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline {
                if (try? KernelProcess.run("/usr/bin/curl", ["-s", "-o", "/dev/null", "http://127.0.0.1:\(port)/"]).0) == 0 { return }
                usleep(100_000)
            }
            throw KernelError.unavailable("http.server did not start")
        }

        deinit {
            // SIGKILL: a child spawned from a test thread may inherit a mask that blocks SIGTERM.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            // git-daemon itself (not the `git` wrapper, whose exit would orphan it); Foundation reaps it.
            if let daemon { kill(daemon.processIdentifier, SIGKILL) }
            try? FileManager.default.removeItem(atPath: root)
            try? FileManager.default.removeItem(atPath: logPath)
        }

        /// Creates repository `name` with `files` (path → content) and `symlinks` (path → target), committed on `main`.
        func repository(_ name: String, files: [String: String], symlinks: [String: String] = [:]) throws -> String {
            let dir = root + "/" + name
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try git(dir, ["init", "-q", "-b", "main"])
            for (path, content) in files {
                let full = dir + "/" + path
                try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try content.write(toFile: full, atomically: true, encoding: .utf8)
            }
            for (path, target) in symlinks { try FileManager.default.createSymbolicLink(atPath: dir + "/" + path, withDestinationPath: target) }
            try git(dir, ["add", "-A"])
            try git(dir, ["-c", "user.name=mcpk-test", "-c", "user.email=test@mcpk.invalid", "commit", "-q", "-m", "app"])
            try git(dir, ["update-server-info"])
            return "http://127.0.0.1:\(port)/\(name)/.git"
        }

        /// Tags the current commit of `name` as `tag`, then commits the removal of `remove` on main.
        func tagThenRemove(_ name: String, tag: String, remove: String) throws {
            let dir = root + "/" + name
            try git(dir, ["tag", tag])
            try git(dir, ["rm", "-q", remove])
            try git(dir, ["-c", "user.name=mcpk-test", "-c", "user.email=test@mcpk.invalid", "commit", "-q", "-m", "remove \(remove)"])
            try git(dir, ["update-server-info"])
        }

        private func git(_ dir: String, _ args: [String]) throws {
            let (rc, _, err) = try KernelProcess.run("/usr/bin/git", args, cwd: dir)
            guard rc == 0 else { throw KernelError.internal("git \(args.joined(separator: " ")): \(err)") }
        }

        /// Serves the same repositories over git:// with `git daemon` (smart protocol: shallow clones work)
        /// until `stop` is called; returns the base URL.
        func startGitDaemon() throws -> String {
            let p = GitHTTPServer.freePort()
            let d = Foundation.Process()
            d.executableURL = URL(fileURLWithPath: "/usr/lib/git-core/git-daemon")
            d.arguments = ["--reuseaddr", "--export-all", "--base-path=" + root, "--listen=127.0.0.1", "--port=\(p)", root]
            d.standardOutput = FileHandle.nullDevice
            d.standardError = FileHandle.nullDevice
            try d.run()
            daemon = d
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline {
                if (try? KernelProcess.run("/usr/bin/git", ["ls-remote", "git://127.0.0.1:\(p)/tricky"]).0) == 0 { return "git://127.0.0.1:\(p)" }
                usleep(100_000)
            }
            throw KernelError.unavailable("git daemon did not start")
        }
        private var daemon: Foundation.Process?

        /// Requests the server answered (one log line each).
        func requests() -> [String] {
            ((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
                .filter { $0.contains("\"GET ") }
        }

        static func freePort() -> Int {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
            return Int(UInt16(bigEndian: addr.sin_port))
        }
    }

    static let app = """
    import streamlit as st
    import tomli_w  # only in the venv built from the repository's requirements.txt

    st.write(tomli_w.dumps({"hello": "from git"}))
    """

    /// The app is cloned by the kernel (once: the second run uses the cache), its
    /// requirements.txt installed, served from the read-only checkout; cancel stops it.
    @Test(.enabled(if: SourceExecutorLiveTests.hasRuntime)) func streamlitFromGitRepository() throws {
        let server = try GitHTTPServer()
        let url = try server.repository("dashboard", files: [
            "app.py": Self.app,
            "requirements.txt": "# the app's own requirements\ntomli_w==1.0.0\n",
            ".streamlit/config.toml": "[server]\nenableStaticServing = true\n",
            "static/hello.txt": "served from the checkout\n",
        ])
        let f = try Fixture()
        try f.component("dash", ["type": "Streamlit App", "gitRepoUrl": .string(url)])
        try f.workflow("dash", ["steps": [["id": "app", "component": "dash"]]])

        // The cache entry of this URL; a partial clone left by a kernel that died is cleared.
        let entry = f.kernel.home + "/cache/git/" + SHA256.hex("git-checkout-v1\n" + url + "\n")
        let stale = entry + ".partial-999999-1"
        try FileManager.default.createDirectory(atPath: stale + "/tree", withIntermediateDirectories: true)

        let first = try f.run("dash")
        let firstURL = try Self.serviceURL(f, first)
        let recent = (try? f.events(first).suffix(15)) ?? []
        let u = try #require(firstURL, "no url: \(recent)")
        let (rc, health, _) = try KernelProcess.run("/usr/bin/curl", ["-sf", "--max-time", "5", u + "_stcore/health"])
        #expect(rc == 0)
        #expect(health == "ok")
        // The repository's .streamlit/config.toml (read from the working directory, the checkout)
        // turned static serving on, and static/ next to app.py is served.
        let (src, hello, _) = try KernelProcess.run("/usr/bin/curl", ["-sf", "--max-time", "5", u + "app/static/hello.txt"])
        #expect(src == 0)
        #expect(hello == "served from the checkout\n")
        let lines = try Self.kernelLines(f, first)
        #expect(lines.contains { $0.hasPrefix("git: cloning http://127.0.0.1:\(server.port)/dashboard/.git") }, "\(lines)")
        #expect(lines.contains { $0.contains("requirements.txt (1 requirements)") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("installing requirements into") }, "\(lines)")
        let fetched = server.requests()
        #expect(FileManager.default.fileExists(atPath: entry + "/tree/app.py"))
        #expect(!FileManager.default.fileExists(atPath: entry + "/tree/.git"), ".git is removed from the checkout")
        #expect(!FileManager.default.fileExists(atPath: stale))
        #expect(fetched.contains { $0.contains("GET /dashboard/.git/info/refs") }, "\(fetched)")
        _ = try f.kernel.call("run.cancel", ["id": .string(first)])
        #expect(try f.wait(first, timeout: 60)["status"] == "cancelled")
        #expect((try? KernelProcess.run("/usr/bin/curl", ["-sf", "--max-time", "3", u + "_stcore/health"]).0) != 0, "stopped with its run")

        // Second run: the cached checkout, no request to the server.
        let second = try f.run("dash")
        let secondURL = try Self.serviceURL(f, second)
        let recent2 = (try? f.events(second).suffix(15)) ?? []
        let u2 = try #require(secondURL, "no url: \(recent2)")
        #expect(try KernelProcess.run("/usr/bin/curl", ["-sf", "--max-time", "5", u2 + "_stcore/health"]).1 == "ok")
        let lines2 = try Self.kernelLines(f, second)
        #expect(lines2.contains { $0.hasPrefix("git: using cached checkout ") }, "\(lines2)")
        #expect(!lines2.contains { $0.hasPrefix("git: cloning") }, "\(lines2)")
        #expect(server.requests().count == fetched.count, "no second clone")
        _ = try f.kernel.call("run.cancel", ["id": .string(second)])
        #expect(try f.wait(second, timeout: 60)["status"] == "cancelled")
    }

    /// Only https/http/git remotes; paths stay inside the repository; git's own message on failure.
    @Test(.enabled(if: SourceExecutorLiveTests.hasRuntime)) func gitSourceRefusalsAndFailures() throws {
        let f = try Fixture()
        func createErrors(_ config: JSON) -> [String] {
            rpcError { try f.kernel.call("component.create", ["name": f.name("bad-\(Int.random(in: 0..<1_000_000))"), "config": config]) }?.errors ?? []
        }
        for bad in ["file:///srv/repo.git", "ssh://git@example.com/r.git", "/srv/repo.git", "ext::sh -c touch% /tmp/pwned",
                    "git@example.com:o/r.git"] {
            let errors = createErrors(["type": "Streamlit App", "gitRepoUrl": .string(bad)])
            #expect(errors.count == 1 && errors.first?.hasPrefix("config.gitRepoUrl: ") == true, "\(bad): \(errors)")
        }
        #expect(createErrors(["type": "Streamlit App", "gitRepoUrl": "https://example.com/r.git", "mainScriptPath": "../app.py"])
                == ["config.mainScriptPath: must not contain '..'"])
        #expect(createErrors(["type": "Streamlit App", "gitRepoUrl": "https://example.com/r.git", "mainScriptPath": "/etc/passwd"])
                == ["config.mainScriptPath: must be a relative path (absolute paths are refused)"])
        #expect(createErrors(["type": "Streamlit App", "gitRepoUrl": "https://example.com/r.git", "gitRef": "--upload-pack"])
                == ["config.gitRef: is not a valid branch or tag name"])

        // A symlink in the repository pointing out of it is refused as the entry script.
        let server = try GitHTTPServer()
        let url = try server.repository("tricky", files: ["app.py": "import streamlit as st\n"],
                                        symlinks: ["escape.py": "/etc/passwd", "up.py": "../../../../../../../../../../../../etc/passwd",
                                                   "old.py": "/etc/passwd"])
        try server.tagThenRemove("tricky", tag: "v1", remove: "old.py")
        try f.component("escape", ["type": "Streamlit App", "gitRepoUrl": .string(url), "mainScriptPath": "escape.py"])
        try f.component("up", ["type": "Streamlit App", "gitRepoUrl": .string(url), "mainScriptPath": "up.py"])
        try f.component("missing", ["type": "Streamlit App", "gitRepoUrl": .string(url), "mainScriptPath": "nope.py"])
        try f.workflow("escape", ["steps": [["id": "a", "component": "escape"]]])
        try f.workflow("up", ["steps": [["id": "a", "component": "up"]]])
        try f.workflow("missing", ["steps": [["id": "a", "component": "missing"]]])
        for wf in ["escape", "up"] {
            let s = try f.wait(try f.run(wf), timeout: 120)
            #expect(s["status"] == "failed")
            #expect(Self.step(s, "a")?["error"]?.stringValue?.contains("resolves outside its root (symlink)") == true, "\(s)")
        }
        let missing = try f.wait(try f.run("missing"), timeout: 120)
        #expect(missing["status"] == "failed")
        #expect(Self.step(missing, "a")?["error"]?.stringValue?.contains("mainScriptPath 'nope.py': no such file") == true, "\(missing)")

        // gitRef picks the tree: old.py exists at tag v1 only (and is refused there as an escape).
        try f.component("at-v1", ["type": "Streamlit App", "gitRepoUrl": .string(url), "gitRef": "v1", "mainScriptPath": "old.py"])
        try f.component("at-main", ["type": "Streamlit App", "gitRepoUrl": .string(url), "mainScriptPath": "old.py"])
        try f.component("no-branch", ["type": "Streamlit App", "gitRepoUrl": .string(url), "gitRef": "no-such-branch"])
        for (wf, message) in [("at-v1", "mainScriptPath 'old.py': resolves outside its root (symlink)"),
                              ("at-main", "mainScriptPath 'old.py': no such file"),
                              ("no-branch", "no-such-branch")] {
            try f.workflow(wf, ["steps": [["id": "a", "component": .string(wf)]]])
            let s = try f.wait(try f.run(wf), timeout: 120)
            #expect(s["status"] == "failed")
            #expect(Self.step(s, "a")?["error"]?.stringValue?.contains(message) == true, "\(wf): \(s)")
        }

        // git:// (smart protocol): a shallow clone, no dumb-HTTP fallback; the checkout is there (the escape is refused).
        let gitURL = try server.startGitDaemon() + "/tricky"
        try f.component("over-git", ["type": "Streamlit App", "gitRepoUrl": .string(gitURL), "gitRef": "v1", "mainScriptPath": "old.py"])
        try f.workflow("over-git", ["steps": [["id": "a", "component": "over-git"]]])
        let overGitRun = try f.run("over-git")
        let overGit = try f.wait(overGitRun, timeout: 120)
        #expect(Self.step(overGit, "a")?["error"]?.stringValue?.contains("mainScriptPath 'old.py': resolves outside its root (symlink)") == true,
                "\(overGit)")
        let overGitLines = try f.events(overGitRun).compactMap { $0["payload"]?["line"]?.stringValue }
        #expect(overGitLines.contains { $0.hasPrefix("git: cloned \(gitURL) (v1) at ") }, "\(overGitLines)")
        #expect(!overGitLines.contains { $0.contains("dumb HTTP") }, "\(overGitLines)")

        // An unreachable repository fails the step with git's message, without the URL's password.
        let closed = GitHTTPServer.freePort()
        try f.component("gone", ["type": "Streamlit App", "gitRepoUrl": .string("http://deploy:s3cret-token@127.0.0.1:\(closed)/gone.git")])
        try f.workflow("gone", ["steps": [["id": "a", "component": "gone"]]])
        let goneRun = try f.run("gone")
        let gone = try f.wait(goneRun, timeout: 120)
        #expect(gone["status"] == "failed")
        let error = Self.step(gone, "a")?["error"]?.stringValue ?? ""
        #expect(error.contains("git clone of http://***@127.0.0.1:\(closed)/gone.git failed"), "\(error)")
        #expect(error.contains("Failed to connect") || error.contains("Couldn't connect"), "\(error)")
        #expect(!error.contains("s3cret-token"))
        #expect(!JSON.array(try f.events(goneRun)).serialized().contains("s3cret-token"))
    }

    static func notebook(_ cells: [(type: String, source: String, tags: [String])]) -> String {
        let doc: JSON = [
            "nbformat": 4, "nbformat_minor": 5,
            "metadata": ["kernelspec": ["name": "python3", "display_name": "Python 3", "language": "python"]],
            "cells": .array(cells.enumerated().map { i, c in
                var cell = JSONObject()
                cell["id"] = .string("c\(i)")
                cell["cell_type"] = .string(c.type)
                cell["metadata"] = ["tags": JSON(c.tags)]
                cell["source"] = .string(c.source)
                if c.type == "code" { cell["outputs"] = []; cell["execution_count"] = .null }
                return .object(cell)
            }),
        ]
        return doc.serialized()
    }

    /// `notebookPathRef` under the operator's root: executed like inline content; escapes refused.
    @Test(.enabled(if: SourceExecutorLiveTests.hasRuntime)) func notebookFromPathRef() throws {
        let base = NSTemporaryDirectory() + "mcpk-nb-" + String(Int.random(in: 100_000..<999_999))
        let root = base + "/notebooks", outside = base + "/outside"
        defer { try? FileManager.default.removeItem(atPath: base) }
        try FileManager.default.createDirectory(atPath: root + "/reports", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try Self.notebook([("markdown", "# squares", []), ("code", "n = 2", ["parameters"]),
                           ("code", "print('squares of', n)\n[i * i for i in range(n)]", [])])
            .write(toFile: root + "/reports/squares.ipynb", atomically: true, encoding: .utf8)
        try Self.notebook([("code", "'SECRET-NOTEBOOK-CONTENT'", [])]).write(toFile: outside + "/secret.ipynb", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: root + "/link.ipynb", withDestinationPath: "../outside/secret.ipynb")
        try "{\"cells\": \"nope\"}".write(toFile: root + "/broken.ipynb", atomically: true, encoding: .utf8)

        let f = try Fixture(env: ["MCPK_NOTEBOOK_DIR": root])
        try f.component("squares", ["type": "Jupyter Notebook", "notebookPathRef": "reports/squares.ipynb"])
        try f.workflow("squares", ["steps": [["id": "n", "component": "squares", "inputs": ["n": 4]]]])
        let id = try f.run("squares")
        let s = try f.wait(id, timeout: 180)
        #expect(s["status"] == "succeeded", "\(s)")
        #expect(Self.step(s, "n")?["result"] == "[0, 1, 4, 9]")
        #expect(try f.events(id).filter { $0["type"] == "progress" }.count >= 2)
        #expect(try Self.kernelLines(f, id).contains { $0.hasPrefix("notebook: read reports/squares.ipynb (") })
        let list = try f.kernel.call("run.artifacts", ["id": .string(id)])
        // The executed notebook is named after the referenced file.
        let name = try #require(list["items"]?.arrayValue?.compactMap { $0["name"]?.stringValue }.first { $0 == "squares.ipynb" },
                                "\(list)")
        let artifact = try f.kernel.call("run.artifact", ["id": .string(id), "name": .string(name)])
        let executed = try JSONParser.parse(artifact["content"]?.stringValue ?? "")
        #expect(executed["nbformat"] == 4)
        let cells = executed["cells"]?.arrayValue ?? []
        #expect(cells.count == 4, "the injected parameters cell follows the parameters cell")
        #expect(cells.count == 4 && cells[2]["metadata"]?["tags"] == ["injected-parameters"])
        let outputs = cells.count == 4 ? cells[3]["outputs"]?.arrayValue ?? [] : []
        #expect(outputs.contains { $0["output_type"] == "execute_result" })
        #expect(outputs.contains { $0["output_type"] == "stream" && $0["text"]?.serialized().contains("squares of 4") == true }, "\(outputs)")

        // `..` is refused when the component is saved; symlinks out of the root, missing and invalid files when it runs.
        let dotdot = rpcError { try f.kernel.call("component.create", ["name": f.name("dotdot"),
                                                                       "config": ["type": "Jupyter Notebook", "notebookPathRef": "../outside/secret.ipynb"]]) }
        #expect(dotdot?.errors == ["config.notebookPathRef: must not contain '..'"])
        for (component, path, message) in [("link", "link.ipynb", "resolves outside its root (symlink)"),
                                           ("missing", "reports/nope.ipynb", "notebookPathRef 'reports/nope.ipynb': no such file"),
                                           ("broken", "broken.ipynb", "is not a valid nbformat v4 notebook")] {
            try f.component(component, ["type": "Jupyter Notebook", "notebookPathRef": .string(path)])
            try f.workflow(component, ["steps": [["id": "n", "component": .string(component)]]])
            let runId = try f.run(component)
            let r = try f.wait(runId, timeout: 120)
            #expect(r["status"] == "failed")
            let error = Self.step(r, "n")?["error"]?.stringValue ?? ""
            #expect(error.contains(message), "\(component): \(error)")
            #expect(!error.contains(base), "the root's host path is not revealed: \(error)")
            #expect(!JSON.array(try f.events(runId)).serialized().contains("SECRET-NOTEBOOK-CONTENT"))
        }
    }
}
