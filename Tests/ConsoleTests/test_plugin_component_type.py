"""Issue 13: a component type declared by a third-party executor plugin gets a generated
form in the console with no console change. The fixture plugin
(Tests/Fixtures/shell-executor/shell_executor.c) is built with the documented cc line,
loaded into the running kernel, and its `Shell Script` form rendered from the declared schema."""
import os
import re
import subprocess

from playwright.sync_api import expect

from conftest import ROOT


def visit(pg, hash_path, ready):
    pg.goto("/#" + hash_path)
    pg.wait_for_selector(ready)
    expect(pg.locator("main .spinner")).to_have_count(0)


def build_shell_plugin(home):
    out = f"{home}/libshell.so"
    src = ROOT / "Tests" / "Fixtures" / "shell-executor" / "shell_executor.c"
    subprocess.run(["cc", "-shared", "-fPIC", "-Iinclude", str(src), "-o", out, "-ljansson"], cwd=ROOT, check=True)
    return out


def test_plugin_declared_type_gets_a_generated_form(page, kernel):
    lib = build_shell_plugin(kernel.home)
    loaded = kernel.api("POST", "/plugins", {"path": lib})
    assert loaded["name"] == "shell" and loaded["abi"] == "1.2.0"
    try:
        visit(page, "/components/new?type=Shell%20Script", "#component-form .field[data-path='config.script']")
        expect(page.locator("#component-type")).to_have_value("Shell Script")
        # The schema's title, its code-language hint (a code editor) and its enum and default.
        script = page.locator(".field[data-path='config.script']")
        expect(script.locator("label")).to_contain_text("Script")
        expect(page.locator("#f-script")).to_have_attribute("data-language", "shell")
        expect(page.locator("#f-outputFormat")).to_have_value("text")
        expect(page.locator("#f-timeoutSeconds")).to_have_value("60")
        page.fill("#component-name", "Shell from the form")
        page.locator("#f-script").fill("echo hello")
        page.click("#component-save")
        page.wait_for_url(re.compile(r"#/components/[0-9a-f-]{8,}$"))
        cid = page.url.rsplit("/", 1)[1]
        got = kernel.api("GET", f"/components/{cid}")
        assert got["type"] == "Shell Script"
        assert got["config"] == {"type": "Shell Script", "script": "echo hello", "outputFormat": "text", "timeoutSeconds": 60}
    finally:
        # Unloaded again (the CLI, over the kernel's control socket), so the session's other tests see the bundled types only.
        env = dict(os.environ, MCPK_HOME=kernel.home)
        binary = os.environ.get("MCPK_BIN") or str(ROOT / ".build" / "debug" / "mcpk")
        subprocess.run([binary, "plugins", "unload", "shell"], env=env, check=True, capture_output=True)
