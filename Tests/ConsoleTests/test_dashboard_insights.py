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


def test_run_detail_activity_and_sidebar_height(page, kernel, catalog, finished_run):
    visit(page, f"/runs/{finished_run.run_id}", "[data-testid='run-activity'] table.audit tbody tr")
    activity = page.locator("[data-testid='run-activity']")
    expect(activity.locator("tr[data-action='run']")).to_contain_text(f"run of {catalog.workflow['name']}")
    expect(page.locator("main h1")).to_contain_text(catalog.workflow["name"])
    # The sidebar column reaches the bottom of a page longer than the window.
    dims = page.evaluate("""() => { const s = document.querySelector('.shell'); return {
        shell: s.getBoundingClientRect().height, doc: document.documentElement.scrollHeight, view: innerHeight,
        bg: getComputedStyle(s).backgroundImage }; }""")
    assert dims["doc"] > dims["view"], dims  # the run page is longer than the window
    assert dims["shell"] >= dims["doc"] - 1 and dims["bg"].startswith("linear-gradient"), dims
    shot(page, "run-detail-activity-desktop")
