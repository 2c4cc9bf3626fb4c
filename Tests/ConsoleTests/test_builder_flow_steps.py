"""Issue 19: steps without a component on the builder canvas (`wait` and nested
`workflow` steps: palette entries, nodes, properties) and node positions that
survive a save and a reload."""
import json
import re

from playwright.sync_api import expect

from conftest import items, shot
from test_console import visit

NODE = "[data-testid='node']"


def node(pg, step):
    return pg.locator(f"{NODE}[data-step='{step}']")


def definition(pg):
    return json.loads(pg.locator("#wf-text").input_value())


def test_wait_and_workflow_steps_from_the_palette_and_positions_kept(page, phone, kernel, catalog):
    visit(page, "/workflows/new", "[data-testid='palette-flow-item'][data-flow='wait']")
    page.fill("#wf-name", "Flow steps")
    page.locator(f"[data-testid='palette-item'][data-component-id='{catalog.hello['id']}']").focus()
    page.keyboard.press("Enter")
    # Keyboard: Enter on the "Wait" palette entry adds a wait node (a signal wait by default).
    page.locator("[data-testid='palette-flow-item'][data-flow='wait']").focus()
    page.keyboard.press("Enter")
    wait = node(page, "wait")
    expect(wait).to_have_attribute("data-kind", "wait")
    expect(wait).to_be_focused()
    expect(wait).to_contain_text("wait · signal approve")
    props = page.locator("[data-testid='properties']")
    expect(props.locator(".step-card[data-kind='wait'] [data-testid='wait-mode']")).to_have_value("signal")
    expect(props.locator("#s1-component")).to_have_count(0)  # no component field on a wait
    props.locator("[data-testid='wait-timeout']").fill("60")
    props.locator("[data-testid='wait-timeout']").dispatch_event("change")
    props.locator("[data-testid='wait-schema']").fill('{"type": "object", "required": ["approved"], "properties": {"approved": {"type": "boolean"}}}')
    props.locator("[data-testid='wait-schema']").dispatch_event("change")
    # A schema that is not JSON is named on the node.
    props.locator("[data-testid='wait-schema']").fill('{"type": ')
    props.locator("[data-testid='wait-schema']").dispatch_event("change")
    expect(wait.locator(".node-errors")).to_contain_text("payload schema is not valid JSON")
    props.locator("[data-testid='wait-schema']").fill('{"type": "object", "required": ["approved"], "properties": {"approved": {"type": "boolean"}}}')
    props.locator("[data-testid='wait-schema']").dispatch_event("change")
    expect(wait).not_to_have_class(re.compile("invalid"))
    # Connect hello_python -> wait from the keyboard.
    node(page, "hello_python").focus()
    page.keyboard.press("c")
    wait.focus()
    page.keyboard.press("Enter")
    # Drag "Run workflow" onto the canvas: a nested workflow node, name@version from the known workflows.
    canvas = page.locator("[data-testid='canvas']")
    page.locator("[data-testid='palette-flow-item'][data-flow='workflow']").drag_to(canvas, target_position={"x": 160, "y": 240})
    sub = node(page, "subflow")
    expect(sub).to_have_attribute("data-kind", "workflow")
    expect(sub.locator(".node-errors")).to_contain_text("name the workflow to run")
    version = kernel.api("GET", f"/workflows/{catalog.workflow['id']}")["latest_version"]
    ref = f"{catalog.workflow['name']}@{version}"
    expect(props.locator(f"datalist option[value='{ref}']")).to_have_count(1)
    props.locator("[data-testid='workflow-ref']").fill(ref)
    props.locator("[data-testid='workflow-ref']").dispatch_event("change")
    expect(sub).to_contain_text(f"workflow {ref}")
    expect(sub).not_to_have_class(re.compile("invalid"))
    d = definition(page)
    steps = {s["id"]: s for s in d["steps"]}
    assert steps["wait"] == {"id": "wait", "needs": ["hello_python"], "wait": {
        "signal": "approve", "timeoutSeconds": 60,
        "schema": {"type": "object", "required": ["approved"], "properties": {"approved": {"type": "boolean"}}}}}, steps["wait"]
    assert steps["subflow"] == {"id": "subflow", "workflow": ref}, steps["subflow"]
    # Move the wait node; save; reload: the positions are the same.
    wait.drag_to(canvas, target_position={"x": 420, "y": 200})
    placed = {s: node(page, s).evaluate("e => [e.style.left, e.style.top]") for s in ("wait", "subflow")}
    page.click("#wf-save")
    page.wait_for_url(re.compile(r"#/workflows/[0-9a-f-]{8,}$"))
    wf = [w for w in items(kernel.api("GET", "/workflows")) if w["name"] == "Flow steps"]
    assert len(wf) == 1
    saved = kernel.api("GET", f"/workflows/{wf[0]['id']}")
    kept = {s["id"]: s for s in (saved.get("definition") or saved)["steps"]}
    assert kept["wait"]["wait"]["signal"] == "approve" and kept["subflow"]["workflow"] == ref, kept
    page.reload()
    page.wait_for_selector(f"{NODE}[data-step='wait'][data-kind='wait']")
    after = {s: node(page, s).evaluate("e => [e.style.left, e.style.top]") for s in ("wait", "subflow")}
    assert after == placed, (placed, after)
    # A loaded wait: switch it to a duration wait in the properties panel.
    node(page, "wait").click()
    props.locator("[data-testid='wait-mode']").select_option("for")
    props.locator("[data-testid='wait-value']").fill("10m")
    props.locator("[data-testid='wait-value']").dispatch_event("change")
    expect(props.locator("[data-testid='wait-schema']")).to_have_count(0)
    assert {s["id"]: s for s in definition(page)["steps"]}["wait"]["wait"] == {"for": "10m"}
    expect(node(page, "wait")).to_contain_text("wait · for 10m")
    shot(page, "builder-flow-steps-desktop")
    visit(phone, f"/workflows/{wf[0]['id']}", f"{NODE}[data-step='subflow'][data-kind='workflow']")
    expect(phone.locator("[data-testid='palette-flow-item']")).to_have_count(2)
    shot(phone, "builder-flow-steps-phone")
