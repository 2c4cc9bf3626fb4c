import Testing
@testable import KernelCore

/// Where a component's source may come from: git remotes, refs, relative paths (issue 5).
@Suite struct SourceReferenceTests {
    @Test func gitURLsAreHTTPSHTTPOrGitOnly() {
        for ok in ["https://github.com/o/r.git", "http://127.0.0.1:8000/r/.git", "git://example.com/r", "HTTPS://host/x",
                   "https://user:token@host/r.git"] {
            #expect(SourceReference.gitURLProblem(ok) == nil, "\(ok)")
        }
        #expect(SourceReference.gitURLProblem("file:///srv/r.git") == "scheme 'file' is not allowed: use https://, http:// or git://")
        #expect(SourceReference.gitURLProblem("ssh://git@host/r.git") == "scheme 'ssh' is not allowed: use https://, http:// or git://")
        for bad in ["ext::sh -c touch% /tmp/x", "/srv/repo.git", "./repo", "git@github.com:o/r.git", "fd::3"] {
            #expect(SourceReference.gitURLProblem(bad) == "must be an https://, http:// or git:// URL (no local paths, scp-style or ext:: remotes)", "\(bad)")
        }
        #expect(SourceReference.gitURLProblem("https://host/a b") == "must not contain spaces or control characters")
        #expect(SourceReference.gitURLProblem("https:///path") == "must name a host")
        #expect(SourceReference.gitURLProblem("https://-oProxyCommand=x/r") == "must name a host")
    }

    @Test func gitRefs() {
        for ok in ["main", "v1.2.3", "release/2026-11", "feature_x"] { #expect(SourceReference.gitRefProblem(ok) == nil, "\(ok)") }
        for bad in ["-x", "--upload-pack", "/main", "a..b", "a//b", "main.lock", "x/", ".hidden", "a/.b"] {
            #expect(SourceReference.gitRefProblem(bad) == "is not a valid branch or tag name", "\(bad)")
        }
        #expect(SourceReference.gitRefProblem("a b") == "may only contain letters, digits, '.', '_', '-' and '/'")
        #expect(SourceReference.gitRefProblem("") == "must be 1 to 255 characters")
    }

    @Test func relativePathsStayInside() {
        for ok in ["app.py", "src/app.py", "./app.py", "dir/sub/x.ipynb", "a..b.py"] {
            #expect(SourceReference.relativePathProblem(ok) == nil, "\(ok)")
        }
        #expect(SourceReference.relativePathProblem("/etc/passwd") == "must be a relative path (absolute paths are refused)")
        #expect(SourceReference.relativePathProblem("../x.py") == "must not contain '..'")
        #expect(SourceReference.relativePathProblem("a/../../x.py") == "must not contain '..'")
        #expect(SourceReference.relativePathProblem(".") == "must name a file")
        #expect(SourceReference.relativePathProblem("a\nb") == "must not contain control characters")
    }

    @Test func credentialsAreRedacted() {
        #expect(SourceReference.redactingCredentials("fatal: unable to access 'https://me:s3cret@host/r.git/': 403")
                == "fatal: unable to access 'https://***@host/r.git/': 403")
        #expect(SourceReference.redactingCredentials("https://host/r.git and git://tok@h/x") == "https://host/r.git and git://***@h/x")
    }

    @Test func catalogueFields() throws {
        #expect(configErrors(["type": "Streamlit App", "gitRepoUrl": "file:///srv/r.git", "mainScriptPath": "../app.py",
                              "gitRef": "-x"]) == [
            "config.gitRepoUrl: scheme 'file' is not allowed: use https://, http:// or git://",
            "config.gitRef: is not a valid branch or tag name",
            "config.mainScriptPath: must not contain '..'",
        ])
        #expect(try normalizedConfig(["type": "Streamlit App", "gitRepoUrl": "git://example.com/r", "gitRef": "v2"])["gitRef"] == "v2")
        #expect(configErrors(["type": "Jupyter Notebook", "notebookPathRef": "/srv/x.ipynb"])
                == ["config.notebookPathRef: must be a relative path (absolute paths are refused)"])
        let schema = try #require(bundledTypes.schema(of: .streamlitApp))
        #expect(schema["properties"]?["gitRepoUrl"]?["x-mcpk-format"] == "git-url")
        #expect(schema["properties"]?["gitRef"]?["x-mcpk-format"] == "git-ref")
        #expect(schema["properties"]?["mainScriptPath"]?["x-mcpk-format"] == "relative-path")
    }
}
