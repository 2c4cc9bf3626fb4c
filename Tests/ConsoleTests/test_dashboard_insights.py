"""Issue 19: the dashboard's trending workflows and recommended components
(GET /dashboard/insights), names instead of ids in the recent activity, the run
detail's Activity section, and the sidebar filling the page height."""
from playwright.sync_api import expect

from conftest import shot
from test_console import visit


def test_trending_recommended_and_named_activity(page, phone, kernel, catalog, finished_run):
    started = kernel.api("POST", f"/workflows/{catalog.workflow['id']}/runs", {"inputs": {"name": "trend"}})
    assert kernel.wait_run(started.get("run_id") or started.get("id"))["status"] == "succeeded"
    fresh = kernel.api("POST", "/components", {"name": "Freshly made", "config": {"type": "Python Script", "codeContent": "def main(**i):\n    return {}\n"}})
    ins = kernel.api("GET", "/dashboard/insights")
    assert ins["window_days"] == 7
    trend = {w["id"]: w for w in ins["trending_workflows"]}[catalog.workflow["id"]]
    assert trend["name"] == catalog.workflow["name"] and trend["runs"] >= 2 and len(trend["daily"]) == 7
    assert sum(trend["daily"]) == trend["runs"] and trend["daily"][-1] >= 2
    assert trend["success_rate"] == trend["succeeded"] / trend["finished"]
    rec = {c["id"]: c for c in ins["recommended_components"]}
    assert rec[catalog.hello["id"]]["reason"] == "most used" and rec[catalog.hello["id"]]["uses"] >= 2
    assert ins["names"][fresh["id"]] == "Freshly made"

    visit(page, "/", "[data-testid='trending'] tbody tr")
    row = page.locator(f"[data-testid='trending'] tr[data-workflow-id='{catalog.workflow['id']}']")
    expect(row.locator("td.runs")).to_have_text(str(trend["runs"]))
    expect(row.locator("svg.sparkline rect")).to_have_count(7)
    expect(row.locator("svg.sparkline rect").last).to_have_attribute("data-count", str(trend["daily"][-1]))
    item = page.locator(f"[data-testid='recommended'] li[data-component-id='{catalog.hello['id']}']")
    expect(item).to_contain_text("most used")
    # The newest activity entry (the component just made) is shown by name, not by an 8-character id.
    first = page.locator("table.audit tbody tr").first
    expect(first).to_contain_text("component Freshly made")
    expect(first).not_to_contain_text(fresh["id"][:8])
    shot(page, "dashboard-insights-desktop")
    visit(phone, "/", "[data-testid='trending'] tbody tr")
    expect(phone.locator("[data-testid='recommended']")).to_be_visible()
    shot(phone, "dashboard-insights-phone")


def test_run_detail_activity_tab_and_sidebar_height(page, phone, kernel, catalog, finished_run):
    visit(page, f"/runs/{finished_run.run_id}", "[data-testid='run-tab-steps'][aria-selected='true']")
    expect(page.locator("main h1")).to_contain_text(catalog.workflow["name"])
    expect(page.locator("[data-testid='run-steps-tab'] #steps-table")).to_be_visible()
    expect(page.locator("[data-testid='run-activity']")).to_have_count(0)  # only in its tab
    # The sidebar column reaches the bottom of a page longer than the window.
    dims = page.evaluate("""() => { const s = document.querySelector('.shell'); return {
        shell: s.getBoundingClientRect().height, doc: document.documentElement.scrollHeight, view: innerHeight,
        bg: getComputedStyle(s).backgroundImage }; }""")
    assert dims["doc"] > dims["view"], dims  # the run page is longer than the window
    assert dims["shell"] >= dims["doc"] - 1 and dims["bg"].startswith("linear-gradient"), dims
    # Keyboard: focus the selected tab, ArrowRight selects Activity.
    page.locator("[data-testid='run-tab-steps']").focus()
    page.keyboard.press("ArrowRight")
    tab = page.locator("[data-testid='run-tab-activity']")
    expect(tab).to_have_attribute("aria-selected", "true")
    expect(tab).to_be_focused()
    activity = page.locator("[data-testid='run-activity']")
    expect(activity.locator("tr[data-action='workflow.run']")).to_contain_text(f"run of {catalog.workflow['name']}")
    expect(activity.locator("tr[data-action='workflow.run'] td").nth(3)).not_to_contain_text(finished_run.run_id[:8])  # names, not ids
    expect(page.locator("[data-testid='run-steps-tab']")).to_have_count(0)
    assert "tab=activity" in page.url
    shot(page, "run-detail-activity-desktop")
    # A link with ?tab=activity opens on the Activity tab.
    visit(phone, f"/runs/{finished_run.run_id}?tab=activity", "[data-testid='run-activity'] table.audit tbody tr")
    expect(phone.locator("[data-testid='run-tab-activity']")).to_have_attribute("aria-selected", "true")
    shot(phone, "run-detail-activity-phone")
