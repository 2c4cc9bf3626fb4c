"""Browser test of the step result cache (issue 14): a step whose identical attempt reused a
stored result shows the `cached` state on the run detail page, styled like a success."""
from playwright.sync_api import expect

from test_console import visit


def test_cached_step_shows_the_cached_state(page, kernel):
    merge = kernel.api("POST", "/components", {"name": "Cache merge", "config": {"type": "Utility", "operation": "merge"}})
    wf = kernel.api("POST", "/workflows", {"name": "Cache me", "steps": [
        {"id": "a", "component": merge["id"], "inputs": {"v": {"n": 41}}, "cache": {"ttlSeconds": 600}},
    ]})
    first = kernel.wait_run(kernel.api("POST", f"/workflows/{wf['id']}/runs", {"inputs": {}})["run_id"])
    assert first["steps"][0]["status"] == "succeeded"
    # The entry is saved just after the attempt: run again until the engine reports the hit.
    run = None
    for _ in range(20):
        run = kernel.wait_run(kernel.api("POST", f"/workflows/{wf['id']}/runs", {"inputs": {}})["run_id"])
        if run["steps"][0]["status"] == "cached":
            break
    assert run["steps"][0]["status"] == "cached", run
    visit(page, f"/runs/{run['id']}", "#log")
    cell = page.locator("#steps-table [data-step=a]")
    expect(cell).to_contain_text("cached", timeout=30_000)
    expect(cell.locator(".badge.st-cached")).to_have_count(1)
    expect(page.locator("#run-status")).to_contain_text("succeeded")


def test_dashboard_health_shows_redis_not_configured(page, kernel):
    visit(page, "/", "#health-h")
    section = page.locator("[data-testid=redis-health]")
    expect(section.locator("[data-state=not-configured]")).to_contain_text("not configured", timeout=30_000)
