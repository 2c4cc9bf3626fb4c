"""Browser tests of run control on the run detail page (issue 17): the Approve/Reject form
shows what is being approved (the waiting step's resolved inputs) and resumes the run; the
Rerun button on a failed run starts a new run that reuses the steps that succeeded."""
import re

from playwright.sync_api import expect

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
