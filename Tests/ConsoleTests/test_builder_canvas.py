"""Issue 19: the builder canvas (palette, nodes, edges, pan/zoom, auto-layout,
keyboard, properties panel, JSON text view in sync, kernel validation on the
node) against a live kernel."""
import json
import re

from playwright.sync_api import expect

from conftest import items, shot
from test_console import visit

NODE = "[data-testid='node']"
EDGE = "[data-testid='edge']"


def node(pg, step):
    return pg.locator(f"{NODE}[data-step='{step}']")


def text_definition(pg):
    return json.loads(pg.locator("#wf-text").input_value())


def test_palette_search_keyboard_add_connect_delete_and_text_sync(page, kernel, catalog):
    visit(page, "/workflows/new", "[data-testid='palette'] [data-testid='palette-item']")
    palette = page.locator("[data-testid='palette']")
    # Search narrows the palette.
    page.fill("#palette-search", "slow log")
    expect(palette.locator("[data-testid='palette-item']")).to_have_count(1)
    expect(palette.locator("[data-testid='palette-item']")).to_have_attribute("data-component-id", catalog.slow["id"])
    page.fill("#palette-search", "")
    # Keyboard only: Enter on a palette item adds a node and focuses it.
    page.locator(f"[data-testid='palette-item'][data-component-id='{catalog.hello['id']}']").focus()
    page.keyboard.press("Enter")
    page.locator(f"[data-testid='palette-item'][data-component-id='{catalog.slow['id']}']").focus()
    page.keyboard.press("Enter")
    expect(page.locator(NODE)).to_have_count(2)
    expect(node(page, "slow_logger")).to_be_focused()
    # Connect hello_python -> slow_logger with C then Enter on the target.
    node(page, "hello_python").focus()
    page.keyboard.press("c")
    node(page, "slow_logger").focus()
    page.keyboard.press("Enter")
    expect(page.locator(f"{EDGE}[data-edge='hello_python->slow_logger']")).to_have_count(1)
    # The properties panel is the selected node's step: needs checked, the component's config as its schema form.
    node(page, "slow_logger").focus()
    page.keyboard.press("Enter")
    props = page.locator("[data-testid='properties']")
    expect(props.locator("#s1-id")).to_have_value("slow_logger")
    expect(props.locator("#s1-needs input[value='hello_python']")).to_be_checked()
    expect(props.locator("#step-component-config fieldset[disabled]")).to_contain_text("Slow Logger config")
    expect(props.locator("#step-component-config [data-path='config.codeContent']")).to_have_count(1)
    # Step settings reach the workflow JSON.
    props.locator("#s1-retries").fill("2")
    props.locator("#s1-timeout").fill("30")
    props.locator("#s1-max-parallel").fill("3")
    props.locator("#s1-when").fill("${inputs.go}")
    props.locator("#s1-when").dispatch_event("change")
    props.locator("#s1-forEach").fill("${steps.hello_python.result.items}")
    props.locator("#s1-forEach").dispatch_event("change")
    steps = {s["id"]: s for s in text_definition(page)["steps"]}
    assert steps["slow_logger"]["needs"] == ["hello_python"]
    assert steps["slow_logger"]["retries"] == {"max": 2}
    assert steps["slow_logger"]["timeoutSeconds"] == 30
    assert steps["slow_logger"]["maxParallel"] == 3
    assert steps["slow_logger"]["when"] == "${inputs.go}"
    assert steps["slow_logger"]["forEach"] == "${steps.hello_python.result.items}"
    shot(page, "builder-canvas-desktop")
    # The edge is deleted from the keyboard, then the node.
    page.locator(f"{EDGE}[data-edge='hello_python->slow_logger']").focus()
    page.keyboard.press("Delete")
    expect(page.locator(EDGE)).to_have_count(0)
    assert "needs" not in {s["id"]: s for s in text_definition(page)["steps"]}["slow_logger"]
    node(page, "slow_logger").focus()
    page.keyboard.press("Delete")
    expect(page.locator(NODE)).to_have_count(1)
    # The text view drives the canvas: a step and an edge typed as JSON appear as a node and an edge.
    d = text_definition(page)
    d["steps"].append({"id": "again", "component": catalog.hello["id"], "needs": ["hello_python"]})
    page.locator("#wf-text").fill(json.dumps(d, indent=2))
    expect(node(page, "again")).to_have_count(1)
    expect(page.locator(f"{EDGE}[data-edge='hello_python->again']")).to_have_count(1)
    # Bad JSON is named by line and column and changes nothing.
    page.locator("#wf-text").fill('{\n  "steps": [\n    {"id": }\n  ]\n}')
    expect(page.locator("#wf-text-error")).to_contain_text("line 3, column 12")
    expect(page.locator(NODE)).to_have_count(2)
    # The same definition as YAML, both ways.
    page.locator("#wf-text").fill(json.dumps(d, indent=2))
    expect(page.locator("#wf-text-error")).to_be_hidden()
    page.select_option("#wf-text-format", "yaml")
    yaml_text = page.locator("#wf-text").input_value()
    assert "steps:\n  - id: hello_python\n" in yaml_text and "  - id: again\n" in yaml_text, yaml_text
    page.locator("#wf-text").fill(yaml_text + "  - id: third\n    component: " + catalog.hello["id"] + "\n    needs:\n      - again\n")
    expect(page.locator(f"{EDGE}[data-edge='again->third']")).to_have_count(1)
    page.locator("#wf-text").fill(yaml_text + "    bad indent: 1\n  oops\n")
    expect(page.locator("#wf-text-error")).to_contain_text("Not valid YAML: line")
    expect(page.locator(NODE)).to_have_count(3)


def test_drag_nodes_pan_zoom_auto_layout_and_kernel_errors_on_the_node(page, kernel, catalog):
    page.watch.allowed_status.add(422)
    visit(page, "/workflows/new", "[data-testid='palette-item']")
    page.fill("#wf-name", "Canvas drawn")
    page.evaluate("window.scrollTo(0, 0)")
    canvas = page.locator("[data-testid='canvas']")
    item = page.locator(f"[data-testid='palette-item'][data-component-id='{catalog.hello['id']}']")
    item.drag_to(canvas, target_position={"x": 100, "y": 60})
    item.drag_to(canvas, target_position={"x": 120, "y": 260})
    expect(page.locator(NODE)).to_have_count(2)
    # Port drag: hello_python's output into hello_python_2.
    node(page, "hello_python").locator(".port.out").drag_to(node(page, "hello_python_2"))
    expect(page.locator(f"{EDGE}[data-edge='hello_python->hello_python_2']")).to_have_count(1)
    # Dragging a node moves it; auto-layout puts the dependent one layer to the right, same row.
    before = node(page, "hello_python_2").bounding_box()
    node(page, "hello_python_2").drag_to(canvas, target_position={"x": 400, "y": 300})
    moved = node(page, "hello_python_2").bounding_box()
    assert abs(moved["x"] - before["x"]) > 50, (before, moved)
    page.click("#canvas-layout")
    a, b = node(page, "hello_python").bounding_box(), node(page, "hello_python_2").bounding_box()
    assert b["x"] > a["x"] + a["width"] and abs(a["y"] - b["y"]) < 2, (a, b)
    # Zoom (buttons and keys) scales the world; panning with the arrow keys moves it.
    z0 = float(canvas.get_attribute("data-zoom"))
    page.click("#canvas-zoom-in")
    assert float(canvas.get_attribute("data-zoom")) > z0
    canvas.focus()
    page.keyboard.press("-")
    page.keyboard.press("-")
    assert float(canvas.get_attribute("data-zoom")) < z0
    x0 = node(page, "hello_python").bounding_box()["x"]
    page.keyboard.press("ArrowLeft")
    assert node(page, "hello_python").bounding_box()["x"] > x0
    # A step id only the kernel refuses: workflow.validate's error lands on that node, live, before saving.
    node(page, "hello_python_2").click()
    page.fill("#s1-id", "9 lives")
    page.locator("#s1-id").dispatch_event("change")
    bad = node(page, "9 lives")
    expect(bad).to_have_class(re.compile("invalid"))
    expect(bad.locator(".node-errors")).to_contain_text("must start with a letter")
    expect(node(page, "hello_python")).not_to_have_class(re.compile("invalid"))
    page.fill("#s1-id", "second")
    page.locator("#s1-id").dispatch_event("change")
    expect(node(page, "second")).not_to_have_class(re.compile("invalid"))
    page.click("#wf-save")
    page.wait_for_url(re.compile(r"#/workflows/[0-9a-f-]{8,}$"))
    wf = [w for w in items(kernel.api("GET", "/workflows")) if w["name"] == "Canvas drawn"]
    assert len(wf) == 1
    saved = kernel.api("GET", f"/workflows/{wf[0]['id']}")
    steps = (saved.get("definition") or saved)["steps"]
    assert [s["id"] for s in steps] == ["hello_python", "second"] and steps[1]["needs"] == ["hello_python"]


def test_builder_canvas_phone(phone, catalog):
    visit(phone, f"/workflows/{catalog.workflow['id']}", f"{NODE}[data-step='greet']")
    expect(phone.locator("[data-testid='palette']")).to_be_visible()
    expect(phone.locator("[data-testid='canvas']")).to_be_visible()
    node(phone, "greet").tap()
    expect(phone.locator("[data-testid='properties'] #s0-id")).to_have_value("greet")
    shot(phone, "builder-canvas-phone")
