"""Browser tests of the web console against a live kernel (issue 8)."""
import os
import re
import time

import pytest
from playwright.sync_api import expect

from conftest import HELLO_CODE, SLOW_LINES, items, shot

RUN_DONE = ("succeeded", "failed", "cancelled", "timed_out")


def visit(pg, hash_path, ready):
    pg.goto("/#" + hash_path)
    pg.wait_for_selector(ready)
    # Nothing still loading on the page.
    expect(pg.locator("main .spinner")).to_have_count(0)


def page_table(seed):
    """(name, hash path, selector that proves the seeded data is rendered)."""
    hello, wf, conn = seed.hello, seed.workflow, seed.connection
    return [
        ("dashboard", "/", '[data-metric="total_components"] .value'),
        ("components", "/components", f'[data-component-id="{hello["id"]}"]'),
        ("component-detail", f"/components/{hello['id']}", "#component-config"),
        ("component-versions", f"/components/{hello['id']}?tab=versions", ".diff .add"),
        ("component-history", f"/components/{hello['id']}?tab=history", "table.audit tbody tr"),
        ("component-new", "/components/new", "#component-form .field[data-path^='config.']:not([data-path='config.type'])"),
        ("component-edit", f"/components/{hello['id']}/edit", "#f-codeContent"),
        ("workflows", "/workflows", f'[data-workflow-id="{wf["id"]}"]'),
        ("workflow-builder", f"/workflows/{wf['id']}", "[data-testid='canvas'] [data-testid='node'][data-step='greet']"),
        ("runs", "/runs", f'[data-run-id="{seed.run_id}"]'),
        ("run-detail", f"/runs/{seed.run_id}", "#steps-table [data-step='greet']"),
        ("data-sources", "/data-sources", f'[data-connection-id="{conn["id"]}"]'),
        ("data-source-schema", f"/data-sources/{conn['id']}", "#schema-tree [data-table='orders']"),
        ("plugins", "/plugins", "#plugins-table [data-plugin='sqlite']"),
        ("audit", "/audit", "table.audit tbody tr"),
    ]


def test_every_page_renders_seeded_data_with_screenshots(page, phone, seed, kernel):
    for name, path, ready in page_table(seed):
        visit(page, path, ready)
        shot(page, f"{name}-desktop")
        page.watch.check()
        visit(phone, path, ready)
        shot(phone, f"{name}-phone")
        phone.watch.check()
    # Dark colour scheme (prefers-color-scheme) for a few pages.
    page.emulate_media(color_scheme="dark")
    for name, path, ready in page_table(seed)[:1] + page_table(seed)[10:11]:
        visit(page, path, ready)
        shot(page, f"{name}-dark-desktop")
    page.emulate_media(color_scheme="light")
    # Spot checks of the content itself.
    visit(page, "/", '[data-metric="total_components"] .value')
    summary = kernel.api("GET", "/dashboard/summary")
    expect(page.locator('[data-metric="total_components"] .value')).to_have_text(str(summary["total_components"]))
    expect(page.locator("ul.layers li").first).to_be_visible()
    visit(page, f"/components/{seed.hello['id']}", "#component-config")
    expect(page.locator("#component-config")).to_contain_text("hello again from")
    visit(page, f"/runs/{seed.run_id}", "#steps-table [data-step='greet']")
    expect(page.locator("#run-status")).to_contain_text(seed.run["status"].replace("_", " "))
    expect(page.locator("#run-cancel")).to_be_hidden()  # a finished run cannot be cancelled
    expect(page.locator("#previews")).to_contain_text("hello seed")


def test_component_list_search_and_filters(page, catalog):
    seed = catalog
    visit(page, "/components", f'[data-component-id="{seed.hello["id"]}"]')
    page.fill("#component-search", "Summar")
    expect(page.locator("#component-list .card")).to_have_count(1)
    expect(page.locator("#component-list")).to_contain_text("Summarizer")
    page.fill("#component-search", "")
    page.select_option("#component-type-filter", "Python Script")
    expect(page.locator(f'[data-component-id="{seed.agent["id"]}"]')).to_have_count(0)
    expect(page.locator(f'[data-component-id="{seed.slow["id"]}"]')).to_have_count(1)
    page.select_option("#component-type-filter", "")
    page.fill("#component-tag-filter", "llm")
    expect(page.locator("#component-list .card")).to_have_count(1)
    assert "tag=llm" in page.url  # shareable URL


def test_create_component_through_generated_form_and_field_errors(page, kernel):
    page.watch.allowed_status.add(422)
    visit(page, "/components/new", "#component-type")
    # Invalid: an LLM agent with temperature out of range -> the kernel's 422 lands next to the field.
    page.select_option("#component-type", "LLM Prompt Agent")
    page.fill("#component-name", "Too hot")
    page.fill("#f-model", "test-model")
    page.fill("#f-temperature", "5")
    page.click("#component-save")
    err = page.locator('.field[data-path="config.temperature"] .field-error')
    expect(err).to_be_visible()
    expect(err).to_contain_text(re.compile("2"))
    assert not [c for c in items(kernel.api("GET", "/components?q=Too%20hot")) if c["name"] == "Too hot"]
    # Valid: a Python script typed into the code editor (Tab indents).
    page.select_option("#component-type", "Python Script")
    page.fill("#component-name", "Typed in the browser")
    page.fill("#component-tags", "ui, typed")
    editor = page.locator("#f-codeContent")
    editor.click()
    editor.press_sequentially("def main(**inputs):\n")
    editor.press("Tab")
    editor.press_sequentially("return {'ok': True}\n")
    page.click("#component-save")
    page.wait_for_url(re.compile(r"#/components/[0-9a-f-]{8,}$"))
    cid = page.url.rsplit("/", 1)[1]
    got = kernel.api("GET", f"/components/{cid}")
    config = got.get("config") or got.get("latest", {}).get("config")
    assert got["type"] == "Python Script" and got["tags"] == ["ui", "typed"]
    assert config["codeContent"] == "def main(**inputs):\n    return {'ok': True}\n"
    expect(page.locator("#component-config")).to_contain_text("return {'ok': True}")


def test_edit_shows_new_version_number(page, kernel):
    c = kernel.api("POST", "/components", {"name": "Edit me", "config": {"type": "Python Script", "codeContent": HELLO_CODE}})
    visit(page, f"/components/{c['id']}/edit", "#f-codeContent")
    page.locator("#f-codeContent").fill(HELLO_CODE + "# edited\n")
    page.click("#component-save")
    expect(page.locator("#save-result")).to_contain_text("version 2")
    assert kernel.api("GET", f"/components/{c['id']}")["latest_version"] == 2


def test_version_diff_shows_the_removed_line_before_the_added_one(page, kernel):
    c = kernel.api("POST", "/components", {"name": "Diff order", "config": {"type": "Python Script", "codeContent": "def main():\n    return 1\n"}})
    kernel.api("PUT", f"/components/{c['id']}", {"config": {"type": "Python Script", "codeContent": "def main():\n    return 2\n"}})
    visit(page, f"/components/{c['id']}?tab=versions", ".diff .add")
    lines = page.locator(".diff > div").all_inner_texts()
    changed = [l[:2] + l[2:].strip() for l in lines if l.startswith(("- ", "+ "))]
    assert changed == ["- return 1", "+ return 2"], lines


def test_workflow_built_in_builder_runs(page, kernel, catalog):
    """Issue 19: steps come from the palette (drag, or Enter from the keyboard), needs from a port drag."""
    seed = catalog
    visit(page, "/workflows/new", "[data-testid='palette'] [data-testid='palette-item']")
    page.fill("#wf-name", "Built in the browser")
    page.click("#add-input")
    page.locator('[data-input-name="0"]').fill("who")
    page.locator('[data-input-name="0"]').dispatch_event("change")
    hello = page.locator(f"[data-testid='palette-item'][data-component-id='{seed.hello['id']}']")
    page.evaluate("window.scrollTo(0, 0)")  # palette and canvas both in view: a drag does not scroll mid-way
    hello.drag_to(page.locator("[data-testid='canvas']"), target_position={"x": 120, "y": 80})
    expect(page.locator("[data-testid='node']")).to_have_count(1)
    page.fill("#s0-id", "first")
    page.locator("#s0-id").dispatch_event("change")
    hello.focus()
    page.keyboard.press("Enter")
    expect(page.locator("[data-testid='node']")).to_have_count(2)
    page.fill("#s1-id", "second")
    page.locator("#s1-id").dispatch_event("change")
    # A reference to a step that is not an ancestor is flagged on that step and its node...
    page.locator(".step-card[data-step-index='1'] button", has_text="+ Add mapping").click()
    page.locator("#s1-inputs .mapping input").nth(0).fill("name")
    value = page.locator("#s1-inputs .mapping input").nth(1)
    value.fill("${steps.first.result.greeting}")
    value.dispatch_event("change")
    expect(page.locator(".step-card[data-step-index='1']")).to_have_class(re.compile("invalid"))
    expect(page.locator("[data-testid='node'][data-step='second']")).to_have_class(re.compile("invalid"))
    # ...and connecting first's output port to second makes it an ancestor.
    page.locator("[data-testid='node'][data-step='first'] .port.out").drag_to(page.locator("[data-testid='node'][data-step='second']"))
    expect(page.locator("[data-testid='edge'][data-edge='first->second']")).to_have_count(1)
    page.locator("[data-testid='node'][data-step='second']").click()
    expect(page.locator(".step-card[data-step-index='1']")).not_to_have_class(re.compile("invalid"))
    options = page.locator(".step-card[data-step-index='1'] datalist option")
    assert "${steps.first.result}" in [options.nth(i).get_attribute("value") for i in range(options.count())]
    assert "${inputs.who}" in [options.nth(i).get_attribute("value") for i in range(options.count())]
    page.click("#wf-run")
    page.wait_for_selector("#run-form")
    page.fill("#run-input-who", "builder")
    page.click("#run-start")
    page.wait_for_url(re.compile(r"#/runs/"))
    run_id = page.url.rsplit("/", 1)[1]
    expect(page.locator("#run-status")).to_contain_text("succeeded", timeout=120_000)
    expect(page.locator("#steps-table [data-step='second']")).to_have_attribute("data-status", "succeeded")
    run = kernel.api("GET", f"/workflow-runs/{run_id}")
    assert run.get("run", run)["status"] == "succeeded"
    wfs = [w for w in items(kernel.api("GET", "/workflows")) if w["name"] == "Built in the browser"]
    assert len(wfs) == 1


def test_live_logs_resume_after_drop_without_loss_or_duplicates(browser, kernel, catalog):
    from conftest import DESKTOP, DropProxy, Watch
    proxy = DropProxy(kernel.port)
    ctx = browser.new_context(viewport=DESKTOP, base_url=proxy.base)
    page = ctx.new_page()
    page.set_default_timeout(20_000)
    watch = Watch(page)
    try:
        started = kernel.api("POST", f"/workflows/{catalog.slow_workflow['id']}/runs", {"inputs": {}})
        run_id = started.get("run_id") or started.get("id")
        visit(page, f"/runs/{run_id}", "#log")
        lines = page.locator("#log .line[data-stream='stdout']")
        # Lines appear while the step is still running (live, not after the fact).
        expect(lines.first).to_be_visible(timeout=60_000)
        expect(page.locator("#run-status")).to_contain_text("running")
        seen_live = lines.count()
        assert 0 < seen_live < SLOW_LINES
        # 1) A real network drop: every TCP connection between browser and kernel is cut.
        watch.allow_network_errors = True
        proxy.drop()
        page.wait_for_function("() => window.mcpkConsole.runStream.reconnects >= 1", timeout=30_000)
        expect(page.locator("#stream-state")).to_have_attribute("data-state", re.compile("open|ended"), timeout=30_000)
        # 2) A second drop later in the run, then an explicit reconnect from the last event id.
        expect(lines.nth(min(seen_live + 8, SLOW_LINES - 1))).to_be_attached(timeout=60_000)
        proxy.drop()
        page.wait_for_function("() => window.mcpkConsole.runStream.reconnects >= 2", timeout=30_000)
        page.evaluate("window.mcpkConsole.runStream.reconnectNow()")
        expect(page.locator("#run-status")).to_contain_text("succeeded", timeout=120_000)
        expect(page.locator("#stream-state")).to_have_attribute("data-state", "ended")
        watch.allow_network_errors = False
        texts = page.locator("#log .line[data-stream='stdout'] .text").all_inner_texts()
        expected = [f"line {i:03d} of the slow step" for i in range(SLOW_LINES)]
        assert texts == expected, f"got {len(texts)} lines: {texts[:5]}…"
        seqs = page.eval_on_selector_all("#log .line", "els => els.map(e => e.dataset.seq)")
        assert len(seqs) == len(set(seqs)), "a log line was shown twice"
        # Filters: by stream and by step.
        page.select_option("#log-stream-filter", "stderr")
        expect(page.locator("#log .line[data-stream='stdout']:visible")).to_have_count(0)
        page.select_option("#log-stream-filter", "")
        page.select_option("#log-step-filter", "slow")
        expect(page.locator("#log .line:visible")).to_have_count(len([s for s in seqs]))
        shot(page, "run-detail-live-desktop")
        watch.check()
    finally:
        ctx.close()
        proxy.close()


def test_schema_browser_and_query(page, fixture_connection):
    conn = fixture_connection.connection
    visit(page, f"/data-sources/{conn['id']}", "#schema-tree [data-table='orders']")
    expect(page.locator("#schema-tree [data-table='customers']")).to_have_count(1)
    expect(page.locator("[data-table='orders'] [data-column='customer_id']")).to_contain_text("customers.id")
    expect(page.locator("[data-table='customers'] [data-column='id'] [data-badge='PK']")).to_have_count(1)
    expect(page.locator("[data-table='customers'] [data-column='email'] [data-badge='UNIQUE']")).to_have_count(1)
    expect(page.locator("[data-table='orders'] [data-column='customer_id'] [data-badge='FK']")).to_have_count(1)
    page.click("#conn-test")
    expect(page.locator("#test-result")).to_contain_text("connected")
    expect(page.locator("#test-result")).to_contain_text("ms")
    page.click("[data-tab='query']")
    page.locator("#query-sql").fill("SELECT id, email FROM customers ORDER BY id")
    page.fill("#query-max-rows", "1")
    page.click("#query-run")
    expect(page.locator("#query-grid tbody tr")).to_have_count(1)
    expect(page.locator("#query-grid")).to_contain_text("ada@example.org")
    shot(page, "data-source-query-desktop")
    visit(page, "/data-sources", f'[data-connection-id="{conn["id"]}"]')


def test_connection_secret_is_write_only(page, kernel):
    c = kernel.api("POST", "/external-databases", {"name": "With secret", "plugin": "sqlite", "config": {"path": "/tmp/none.sqlite"}, "secret": "hunter2"})
    assert c["secret"] == "set"
    visit(page, "/data-sources", f'[data-connection-id="{c["id"]}"]')
    expect(page.locator(f'[data-connection-id="{c["id"]}"] [data-secret="set"]')).to_have_count(1)
    assert "hunter2" not in page.content()


def test_audit_filters(page, catalog, fixture_connection):
    seed = catalog
    visit(page, f"/audit?entity_type=component&entity_id={seed.hello['id']}", "table.audit tbody tr")
    rows = page.locator("table.audit tbody tr")
    assert rows.count() >= 2  # create + update
    for i in range(rows.count()):
        expect(rows.nth(i)).to_contain_text("component")
    page.select_option("#audit-entity-type", "connection")
    page.fill("#audit-entity-id", "")
    page.click("form.filters button[type=submit]")
    expect(page.locator("table.audit tbody tr").first).to_contain_text("connection")


def test_audit_shows_plugin_actions_with_their_whole_name(page, kernel):
    """plugin.load writes an audit row (a refused one too); the audit page shows the
    plugin entity by its whole name (not an 8-character id prefix), linked to Plugins."""
    page.watch.allowed_status.update({400, 422})
    path = f"{kernel.home}/libno-such-plugin-library.so"
    from conftest import ApiError
    with pytest.raises(ApiError) as refused:
        kernel.api("POST", "/plugins", {"path": path})
    assert refused.value.status in (400, 422)
    entries = items(kernel.api("GET", "/action-logs?entity_type=plugin&entity_id=libno-such-plugin-library.so"))
    assert entries and entries[0]["action_type"] == "plugin.load"
    assert entries[0]["details"]["outcome"] == "refused"
    assert entries[0]["details"]["path"] == path
    visit(page, "/audit?entity_type=plugin&entity_id=libno-such-plugin-library.so", "table.audit tbody tr")
    row = page.locator("table.audit tbody tr").first
    expect(row).to_contain_text("plugin.load")
    expect(row).to_contain_text("plugin libno-such-plugin-library.so")
    expect(row.locator("a[href='#/plugins']")).to_have_count(1)


def test_keyboard_navigation_reaches_every_nav_link(page):
    visit(page, "/", '[data-metric="total_components"] .value')
    wanted = {"#/components", "#/workflows", "#/runs", "#/schedules", "#/data-sources", "#/plugins", "#/audit"}
    seen = set()
    # Focus may start anywhere on the page; Tab wraps around, past every link the dashboard shows.
    for _ in range(200):
        page.keyboard.press("Tab")
        href = page.evaluate("document.activeElement && document.activeElement.getAttribute('href')")
        if href:
            seen.add(href)
        if wanted <= seen:
            break
    assert wanted <= seen, sorted(wanted - seen)


def test_token_sign_in_when_the_kernel_requires_one(browser):
    from conftest import DESKTOP, Kernel, Watch
    k = Kernel(token="console-test-token")
    try:
        ctx = browser.new_context(viewport=DESKTOP, base_url=k.base)
        pg = ctx.new_page()
        pg.set_default_timeout(20_000)
        watch = Watch(pg)
        watch.allowed_status.add(401)
        pg.goto("/#/runs")
        pg.wait_for_selector("dialog[open] #token-input")
        shot(pg, "sign-in-desktop")
        pg.fill("#token-input", "console-test-token")
        pg.click("dialog button[type=submit]")
        expect(pg.locator("#runs-table, main .state.empty")).to_be_visible()
        # The live feed works with the token too (read through fetch, since EventSource cannot send headers).
        expect(pg.locator("#live-state")).to_have_text("● live")
        assert pg.evaluate("sessionStorage.getItem('mcpk.token')") == "console-test-token"
        watch.allowed_status.discard(401)
        pg.goto("/#/components")
        expect(pg.locator("main .state.empty, #component-list")).to_be_visible()
        watch.check()
        ctx.close()
    finally:
        k.stop()


def test_plugins_page_lists_bundled_and_loads_one_by_path(page, kernel):
    """Builds docs/PLUGINS.md's minimal connector with cc and loads it through the page."""
    import shutil
    import subprocess
    from conftest import ROOT
    doc = (ROOT / "docs" / "PLUGINS.md").read_text()
    block = doc.split("<!-- minimal-connector:begin -->", 1)[1].split("<!-- minimal-connector:end -->", 1)[0]
    source = block.split("```c", 1)[1].rsplit("```", 1)[0]
    cc = shutil.which("cc") or shutil.which("clang")
    assert cc, "a C compiler (cc) is needed to build the plugin fixture"
    src = f"{kernel.home}/squares.c"
    lib = f"{kernel.home}/libsquares.so"
    with open(src, "w") as f:
        f.write(source)
    subprocess.run([cc, "-shared", "-fPIC", f"-I{ROOT / 'include'}", src, "-o", lib], check=True)
    visit(page, "/plugins", "#plugins-table [data-plugin='sqlite']")
    expect(page.locator("#plugins-table [data-plugin='squares']")).to_have_count(0)
    page.fill("#plugin-path", lib)
    page.click("form.filters button[type=submit]")
    row = page.locator("#plugins-table [data-plugin='squares']")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("connector")
    assert any(p["name"] == "squares" for p in items(kernel.api("GET", "/plugins")))
    # A path that is not a plugin is refused with the kernel's reason, shown next to the form.
    page.watch.allowed_status.update({400, 422})
    page.fill("#plugin-path", src)
    page.click("form.filters button[type=submit]")
    expect(page.locator(".field-error[role=alert]").first).to_be_visible()
    shot(page, "plugins-loaded-desktop")


ARTIFACT_CODE = '''import json
import mcpk

def main(**inputs):
    mcpk.progress(0.5, "half way")
    with open("report.csv", "w") as f:
        f.write("a,b\\n1,2\\n")
    mcpk.artifact("report.csv", "report.csv", "text/csv")
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
          "cells": [{"cell_type": "code", "id": "c1", "metadata": {}, "source": "1 + 1",
                     "outputs": [], "execution_count": 1}]}
    with open("executed.ipynb", "w") as f:
        json.dump(nb, f)
    mcpk.artifact("executed.ipynb", "executed.ipynb")
    mcpk.result_preview({"rows": 1})
    return {"artifacts": 2}
'''


def test_run_detail_progress_previews_and_artifact_downloads(page, kernel):
    c = kernel.api("POST", "/components", {"name": "Artifact maker", "config": {"type": "Python Script", "codeContent": ARTIFACT_CODE}})
    wf = kernel.api("POST", "/workflows", {"name": "Artifacts", "steps": [{"id": "make", "component": c["id"]}]})
    started = kernel.api("POST", f"/workflows/{wf['id']}/runs", {"inputs": {}})
    run_id = started.get("run_id") or started.get("id")
    visit(page, f"/runs/{run_id}", "#log")
    expect(page.locator("#run-status")).to_contain_text("succeeded", timeout=120_000)
    expect(page.locator("#steps-table [data-step='make']")).to_contain_text("half way")
    expect(page.locator("#steps-table [data-step='make'] [role=progressbar]")).to_have_attribute("aria-valuenow", "100")
    expect(page.locator("#gantt [data-step='make'] .bar")).to_have_count(1)
    expect(page.locator("#previews [data-preview-step='make']")).to_contain_text('"artifacts": 2')
    expect(page.locator("[data-artifact='report.csv']")).to_be_visible()
    with page.expect_download() as d:
        page.click("[data-artifact='report.csv']")
    assert d.value.suggested_filename == "report.csv"
    assert open(d.value.path()).read() == "a,b\n1,2\n"
    with page.expect_download() as d:
        page.click("[data-artifact='executed.ipynb']")
    assert d.value.suggested_filename == "executed.ipynb"
    import json
    assert json.load(open(d.value.path()))["nbformat"] == 4
    shot(page, "run-detail-artifacts-desktop")


def test_dashboard_shows_running_runs_live_and_cancel_from_run_detail(page, kernel, catalog):
    visit(page, "/", '[data-metric="active_runs"] .value')
    expect(page.locator("#live-state")).to_have_text("● live")
    started = kernel.api("POST", f"/workflows/{catalog.slow_workflow['id']}/runs", {"inputs": {}})
    run_id = started.get("run_id") or started.get("id")
    row = page.locator(f"[data-run-id='{run_id}']")
    expect(row).to_be_visible(timeout=30_000)  # arrived through /api/v1/events, no reload
    expect(row).to_contain_text("running", timeout=30_000)
    shot(page, "dashboard-running-desktop")
    row.locator("a").click()
    page.wait_for_url(re.compile(f"#/runs/{run_id}$"))
    expect(page.locator("#run-status")).to_contain_text("running")
    page.click("#run-cancel")
    expect(page.locator("#run-status")).to_contain_text("cancelled", timeout=60_000)
    run = kernel.api("GET", f"/workflow-runs/{run_id}")
    assert run.get("run", run)["status"] == "cancelled"
    page.goto("/#/")
    expect(page.locator(f"[data-run-id='{run_id}']")).to_have_count(0)
    visit(page, "/runs?status=cancelled", f"[data-run-id='{run_id}']")
    expect(page.locator(f"[data-run-id='{run_id}']")).to_contain_text("cancelled")


def test_use_in_a_workflow_and_kernel_validation_errors_on_the_step(page, kernel, catalog):
    page.watch.allowed_status.add(422)
    visit(page, f"/components/{catalog.hello['id']}", "#component-config")
    page.click("text=Use in a workflow")
    page.wait_for_url(re.compile(r"#/workflows/new\?component="))
    expect(page.locator("#s0-component")).to_have_value(catalog.hello["id"])
    expect(page.locator("[data-testid='node'][data-step='hello_python']")).to_have_count(1)
    page.fill("#wf-name", "Kernel-validated")
    # An id the browser does not check but the kernel refuses: its 422 path (steps[0].id) lands on the step.
    page.fill("#s0-id", "9 lives")
    page.locator("#s0-id").dispatch_event("change")
    page.click("#wf-save")
    card = page.locator(".step-card[data-step-index='0']")
    expect(card).to_have_class(re.compile("invalid"))
    expect(card.locator(".field-error-list")).to_contain_text("must start with a letter")
    expect(page.locator("[data-testid='node'].invalid")).to_have_count(1)
    assert not [w for w in items(kernel.api("GET", "/workflows")) if w["name"] == "Kernel-validated"]
    page.fill("#s0-id", "fixed")
    page.locator("#s0-id").dispatch_event("change")
    page.click("#wf-save")
    expect(card).not_to_have_class(re.compile("invalid"))
    page.wait_for_url(re.compile(r"#/workflows/[0-9a-f-]{8,}$"))
    assert [w for w in items(kernel.api("GET", "/workflows")) if w["name"] == "Kernel-validated"]


def test_create_connection_with_the_form_generated_from_the_connector_schema(page, kernel):
    from conftest import make_fixture_db
    db = f"{kernel.home}/form.sqlite"
    make_fixture_db(db)
    visit(page, "/data-sources/new", "#conn-plugin")
    page.select_option("#conn-plugin", "sqlite")
    page.fill("#conn-name", "Made in the form")
    page.fill("#conn-config-path", db)  # a field generated from the sqlite plugin's config_schema
    page.fill("#conn-secret", "not-needed-but-sealed")
    page.click("#conn-save")
    page.wait_for_url(re.compile(r"#/data-sources/[0-9a-f-]{8,}$"))
    expect(page.locator("#schema-tree [data-table='customers']")).to_have_count(1)
    expect(page.locator("[data-secret='set']")).to_have_count(1)
    assert "not-needed-but-sealed" not in page.content()
    conn = [c for c in items(kernel.api("GET", "/external-databases")) if c["name"] == "Made in the form"][0]
    assert conn["config"]["path"] == db and conn["secret"] == "set"
    shot(page, "data-source-created-desktop")


def test_bigquery_connection_through_the_adbc_bridge(page, kernel):
    """The Data sources form's BigQuery type writes an adbc connection (driver, project,
    dataset, location, the service-account JSON as the sealed secret)."""
    drivers = os.environ.get("MCPK_TEST_ADBC_DRIVERS", "")
    driver = f"{drivers}/libadbc_driver_bigquery.so" if drivers else "/opt/adbc/libadbc_driver_bigquery.so"
    # The detail page scans the new connection: without Google (or the driver) that is a 503.
    page.watch.allowed_status.add(503)
    visit(page, "/data-sources/new", "#conn-plugin")
    page.select_option("#conn-plugin", "bigquery")
    page.fill("#conn-name", "Warehouse")
    page.fill("#conn-bq-driver", driver)
    page.fill("#conn-bq-project", "mcpk-test")
    page.fill("#conn-bq-dataset", "shop")
    page.fill("#conn-bq-location", "EU")
    page.fill("#conn-secret", '{"type": "service_account", "private_key": "not-a-key"}')
    page.click("#conn-save")
    page.wait_for_url(re.compile(r"#/data-sources/[0-9a-f-]{8,}$"))
    assert "not-a-key" not in page.content()
    conn = [c for c in items(kernel.api("GET", "/external-databases")) if c["name"] == "Warehouse"][0]
    assert conn["plugin"] == "adbc" and conn["secret"] == "set"
    assert conn["config"] == {
        "driver": driver,
        "secret_option": "adbc.bigquery.sql.auth_credentials",
        "database_options": {
            "adbc.bigquery.sql.project_id": "mcpk-test",
            "adbc.bigquery.sql.auth_type": "adbc.bigquery.sql.auth_type.json_credential_string",
            "adbc.bigquery.sql.dataset_id": "shop",
            "adbc.bigquery.sql.location": "EU",
        },
    }
    if drivers:
        # No Google here: the test fails with the driver's own reason, shown in the page.
        page.click("#conn-test")
        expect(page.locator("#test-result")).to_contain_text("[BigQuery]", timeout=30_000)
    shot(page, "data-source-bigquery-desktop")


def test_dashboard_feed_stays_live_after_a_run_ends(page, kernel, catalog):
    """/api/v1/events carries `end` events of every run: one run ending must
    not end the dashboard's live feed."""
    visit(page, "/", '[data-metric="active_runs"] .value')
    expect(page.locator("#live-state")).to_have_text("● live")
    wf = catalog.slow_workflow["id"]
    first = kernel.api("POST", f"/workflows/{wf}/runs", {"inputs": {}})
    first_id = first.get("run_id") or first.get("id")
    expect(page.locator(f"[data-run-id='{first_id}']")).to_be_visible(timeout=30_000)
    kernel.api("POST", f"/workflow-runs/{first_id}/cancel", {})
    deadline = time.time() + 60
    while time.time() < deadline:
        run = kernel.api("GET", f"/workflow-runs/{first_id}")
        if run.get("run", run)["status"] in RUN_DONE:
            break
        time.sleep(0.2)
    time.sleep(1.0)  # the first run's `end` event has reached the page
    expect(page.locator("#live-state")).to_have_text("● live")
    second = kernel.api("POST", f"/workflows/{wf}/runs", {"inputs": {}})
    second_id = second.get("run_id") or second.get("id")
    # Arrives through the same feed, with no reload.
    expect(page.locator(f"[data-run-id='{second_id}']")).to_be_visible(timeout=30_000)
    kernel.api("POST", f"/workflow-runs/{second_id}/cancel", {})


def test_dashboard_health_shows_warm_runner_pools(page, phone, kernel, catalog):
    """After a Python step ran, the health panel lists its warm runner pool (issue 12)."""
    started = kernel.api("POST", f"/workflows/{catalog.workflow['id']}/runs", {"inputs": {"name": "pools"}})
    assert kernel.wait_run(started.get("run_id") or started.get("id"))["status"] == "succeeded"
    health = kernel.api("GET", "/dashboard/system-health")
    pools = health["runners"]["pools"]
    assert health["runners"]["available"] is True and pools, health["runners"]
    visit(page, "/", '[data-testid="runner-pools"] tbody tr')
    box = page.locator('[data-testid="runner-pools"]')
    expect(box.locator("#runners-summary")).to_contain_text("warm steps")
    expect(box.locator(f'tr[data-pool="{pools[0]["key"]}"] td').nth(1)).to_have_text(str(pools[0]["size"]))
    # Issue 19: the component's name, not its id.
    name = kernel.api("GET", f"/components/{pools[0]['component_id']}")["name"]
    cell = box.locator(f'tr[data-pool="{pools[0]["key"]}"] td').first
    expect(cell.locator("a[data-named='true']")).to_have_text(f"{name} v{pools[0]['component_version']}")
    expect(cell).not_to_contain_text(pools[0]["component_id"][:8])
    shot(page, "dashboard-runner-pools-desktop")
    visit(phone, "/", '[data-testid="runner-pools"] tbody tr a[data-named="true"]')
    shot(phone, "dashboard-runner-pools-phone")


def test_dashboard_health_lists_the_cluster_kernels(page, kernel):
    """Issue 14: the health panel's Cluster section lists the kernels on the store (here one SQLite kernel)."""
    cluster = kernel.api("GET", "/cluster/status")
    assert cluster["shared_queue"] is False and len(cluster["kernels"]) == 1, cluster
    me = cluster["kernels"][0]
    visit(page, "/", '[data-testid="cluster-kernels"] tbody tr')
    box = page.locator('[data-testid="cluster-kernels"]')
    expect(box.locator("#cluster-summary")).to_contain_text("single kernel")
    row = box.locator(f'tr[data-kernel="{me["id"]}"] td')
    expect(row.nth(0)).to_contain_text("(this)")
    expect(row.nth(4)).to_have_text(str(me["running_steps"]))
    expect(row.nth(5)).to_have_text(str(me["capacity"]))
    expect(row.nth(6)).to_have_text("alive")


def test_schedules_page_lists_next_fire_times_and_pauses(page, kernel, catalog):
    """Issue 18: the schedules page shows each schedule's cron, zone and next fire time; Pause works."""
    s = kernel.api("POST", "/schedules", {"name": "Yearly greeting", "workflow": catalog.workflow["id"],
                                           "cron": "0 0 1 1 *", "timezone": "Europe/Berlin", "inputs": {"name": "new year"}})
    try:
        visit(page, "/schedules", f"#schedules-table [data-schedule='{s['id']}']")
        row = page.locator(f"#schedules-table [data-schedule='{s['id']}']")
        expect(row).to_contain_text("0 0 1 1 *")
        expect(row).to_contain_text("Europe/Berlin")
        expect(row.locator(".next-fire")).to_have_attribute("title", s["next_fire_at"])
        row.locator("button").click()
        expect(row).to_contain_text("paused")
        assert kernel.api("GET", f"/schedules/{s['id']}")["state"] == "paused"
    finally:
        kernel.api("DELETE", f"/schedules/{s['id']}")


def test_secrets_page_sets_write_only_secrets_and_variables(page, kernel):
    """Issue 17: the Secrets & variables page sets a secret (shown only as "set", never read back)
    and a variable (shown with its value and its ${vars.NAME} reference)."""
    value = "pw-" + str(int(time.time() * 1000))
    visit(page, "/secrets", "[data-testid='secret-form']")
    page.fill("[data-testid='secret-name']", "CONSOLE_TOKEN")
    page.fill("[data-testid='secret-value']", value)
    page.click("[data-testid='secret-save']")
    row = page.locator("#secrets-table [data-secret='CONSOLE_TOKEN']")
    expect(row).to_contain_text("set")
    expect(row).to_contain_text("${secrets.CONSOLE_TOKEN}")
    expect(page.locator("[data-testid='secret-value']")).to_have_value("")
    assert value not in page.content()
    listed = kernel.api("GET", "/secrets")
    assert [i["value"] for i in listed["items"] if i["name"] == "CONSOLE_TOKEN"] == ["set"]
    assert value not in str(listed)

    page.fill("[data-testid='var-name']", "CONSOLE_REGION")
    page.fill("[data-testid='var-value']", "eu-north")
    page.click("[data-testid='var-save']")
    vrow = page.locator("#vars-table [data-var='CONSOLE_REGION']")
    expect(vrow).to_contain_text("eu-north")
    expect(vrow).to_contain_text("${vars.CONSOLE_REGION}")
    kernel.api("DELETE", "/secrets/CONSOLE_TOKEN")
    kernel.api("DELETE", "/variables/CONSOLE_REGION")
