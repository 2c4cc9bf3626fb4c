"""Browser tests of run control on the run detail page (issue 17): the Approve/Reject form
shows what is being approved (the waiting step's resolved inputs) and resumes the run; the
Rerun button on a failed run starts a new run that reuses the steps that succeeded."""
import re

from playwright.sync_api import expect

from conftest import shot
from test_console import visit


def utility(kernel, name):
    return kernel.api("POST", "/components", {"name": name, "config": {"type": "Utility", "operation": "merge"}})


def test_approval_form_shows_the_sql_and_approve_resumes_the_run(page, kernel):
    merge = utility(kernel, "Approval SQL writer")
    wf = kernel.api("POST", "/workflows", {"name": "Approve the SQL", "steps": [
        {"id": "llm", "component": merge["id"], "inputs": {"v": {"sql": "DELETE FROM staging WHERE day < now()"}}},
        {"id": "review", "needs": ["llm"], "inputs": {"sql": "${steps.llm.result.sql}"},
         "wait": {"signal": "approve", "timeoutSeconds": 600}},
        {"id": "apply", "component": merge["id"], "needs": ["review"], "when": "${steps.review.result.payload.approved} == true",
         "inputs": {"v": {"applied": "${steps.llm.result.sql}"}}},
    ]})
    run_id = kernel.api("POST", f"/workflows/{wf['id']}/runs", {"inputs": {}})["run_id"]
    visit(page, f"/runs/{run_id}", "#log")
    form = page.locator("[data-testid=approval-form][data-step=review]")
    expect(form).to_be_visible(timeout=60_000)
    expect(form.locator("[data-testid=approval-input][data-key=sql]")).to_have_text("DELETE FROM staging WHERE day < now()")
    form.locator("[data-testid=approval-comment]").fill("looks right")
    form.locator("[data-testid=approve]").click()
    expect(page.locator("#run-status")).to_contain_text("succeeded", timeout=60_000)
    expect(page.locator("[data-testid=approval-form]")).to_have_count(0)
    run = kernel.wait_run(run_id)
    review = next(s for s in run["steps"] if s["id"] == "review")
    assert review["result"]["payload"] == {"approved": True, "comment": "looks right"}
    apply = next(s for s in run["steps"] if s["id"] == "apply")
    assert apply["status"] == "succeeded"


def test_rerun_button_on_a_failed_run_reuses_succeeded_steps(page, kernel):
    merge = utility(kernel, "Rerun step")
    wf = kernel.api("POST", "/workflows", {"name": "Rerun me", "steps": [
        {"id": "a", "component": merge["id"], "inputs": {"v": {"n": 1}}},
        {"id": "b", "component": merge["id"], "needs": ["a"], "inputs": {"v": {"n": 2}}},
        {"id": "c", "component": merge["id"], "needs": ["b"], "forEach": "${inputs.items}"},
    ]})
    run_id = kernel.api("POST", f"/workflows/{wf['id']}/runs", {"inputs": {"items": "not a list"}})["run_id"]
    assert kernel.wait_run(run_id)["status"] == "failed"
    visit(page, f"/runs/{run_id}", "#log")
    page.locator("[data-testid=run-rerun]").click()
    page.wait_for_url(re.compile(r"#/runs/(?!" + run_id + ")"))
    new_id = page.url.rsplit("/", 1)[-1]
    expect(page.locator("#steps-table [data-step=a]")).to_contain_text("reused", timeout=30_000)
    expect(page.locator("#steps-table [data-step=b]")).to_contain_text("reused")
    run = kernel.wait_run(new_id)
    assert run["trigger"]["kind"] == "rerun" and run["trigger"]["id"] == run_id
    assert [s["id"] for s in run["steps"] if s.get("reused")] == ["a", "b"]


def test_approval_form_renders_the_signal_payload_schema(page, phone, kernel):
    """Issue 19: a signal wait with a payload `schema` gets its fields as a schema form; the kernel's 422 lands on the form."""
    page.watch.allowed_status.add(422)
    merge = utility(kernel, "Schema approval step")
    wf = kernel.api("POST", "/workflows", {"name": "Approve with a ticket", "steps": [
        {"id": "prep", "component": merge["id"], "inputs": {"v": {"n": 1}}},
        {"id": "review", "needs": ["prep"], "wait": {"signal": "approve", "timeoutSeconds": 600, "schema": {
            "type": "object", "required": ["approved", "ticket"],
            "properties": {"approved": {"type": "boolean"}, "ticket": {"type": "string", "title": "Ticket"},
                           "rows": {"type": "integer", "title": "Rows allowed"}}}}},
    ]})
    run_id = kernel.api("POST", f"/workflows/{wf['id']}/runs", {"inputs": {}})["run_id"]
    visit(page, f"/runs/{run_id}", "#log")
    form = page.locator("[data-testid=approval-form][data-step=review]")
    expect(form).to_be_visible(timeout=60_000)
    fields = form.locator("[data-testid=approval-fields]")
    expect(fields.locator("#approval-review-ticket")).to_be_visible()
    expect(fields.locator("#approval-review-rows")).to_be_visible()
    expect(fields.locator("#approval-review-approved")).to_have_count(0)  # the buttons send `approved`
    # Without the required ticket the kernel refuses the signal, and the form says why.
    form.locator("[data-testid=approve]").click()
    expect(fields.locator("#approval-review-ticket").locator("xpath=ancestor::div[contains(@class,'field')][1]")).to_contain_text("is required")
    assert kernel.api("GET", f"/workflow-runs/{run_id}")["status"] == "running"
    visit(phone, f"/runs/{run_id}", "[data-testid=approval-form] #approval-review-ticket")
    shot(phone, "run-approval-schema-phone")
    fields.locator("#approval-review-ticket").fill("CHG-42")
    fields.locator("#approval-review-rows").fill("7")
    shot(page, "run-approval-schema-desktop")
    form.locator("[data-testid=approve]").click()
    expect(page.locator("#run-status")).to_contain_text("succeeded", timeout=60_000)
    run = kernel.wait_run(run_id)
    review = next(s for s in run["steps"] if s["id"] == "review")
    assert review["result"]["payload"] == {"approved": True, "ticket": "CHG-42", "rows": 7}, review["result"]
