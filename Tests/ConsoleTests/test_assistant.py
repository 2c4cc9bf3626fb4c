"""Issue 19: the AI assistant on the component submit page and in the builder,
against the local OpenAI-compatible streaming server of the integration tests
(Tests/IntegrationTests/Fixtures/llm_stream_server.py: it streams the user
prompt back word by word). The kernel calls it through the LLM executor plugin."""
import json
import os
import re
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from conftest import ROOT, ApiError, items, shot
from test_console import visit

SERVER = ROOT / "Tests" / "IntegrationTests" / "Fixtures" / "llm_stream_server.py"
# Enough words that the answer streams for a second or more (the server sleeps 20 ms a word).
FILLER = " ".join(f"word{i}" for i in range(60))


@pytest.fixture(scope="module")
def llm_server(kernel):
    log = os.path.join(kernel.home, "llm-requests.jsonl")
    proc = subprocess.Popen([sys.executable, str(SERVER), log], stdout=subprocess.PIPE, text=True)
    port = int(proc.stdout.readline())
    yield {"endpoint": f"http://127.0.0.1:{port}/v1", "log": log}
    proc.terminate()
    proc.wait(10)


def requests_seen(server):
    with open(server["log"]) as f:
        return [r for r in map(json.loads, f) if "body" in r]


def test_without_an_llm_the_assistant_says_how_to_add_one(page, kernel, catalog):
    # The catalog's Summarizer has neither endpoint nor apiKeySecret: not a configured LLM.
    visit(page, "/components/new", "[data-testid='assistant'] #assistant-setup .state")
    box = page.locator("[data-testid='assistant']")
    expect(box.locator("#assistant-setup")).to_contain_text("No LLM connection is configured")
    expect(box.locator("#assistant-setup a")).to_have_attribute("href", "#/components/new?type=LLM%20Prompt%20Agent")
    expect(box.locator("[data-testid='assistant-input']")).to_be_hidden()
    # The kernel says the same, naming what to create.
    with pytest.raises(ApiError) as e:
        kernel.api("POST", "/assistant/chats", {"messages": [{"role": "user", "content": "hi"}]})
    assert e.value.status == 404 and "no LLM connection is configured" in e.value.body and "LLM Prompt Agent" in e.value.body


def test_assistant_streams_and_proposes_a_config_diff_applied_only_on_click(page, phone, kernel, catalog, fixture_connection, llm_server):
    llm = kernel.api("POST", "/components", {"name": "Assistant LLM", "config": {
        "type": "LLM Prompt Agent", "model": "test-model", "endpoint": llm_server["endpoint"]}})
    try:
        visit(page, "/components/new?type=Data", "[data-testid='assistant'] [data-testid='assistant-input']")
        expect(page.locator("#assistant-llm")).to_have_value(llm["id"])
        page.fill("#f-connection", fixture_connection.connection["name"])
        page.fill("#f-query", "SELECT 1")
        proposal = {"type": "Data", "connection": fixture_connection.connection["name"], "query": "SELECT email FROM customers"}
        page.fill("[data-testid='assistant-input']", f"{FILLER}\n```json\n{json.dumps(proposal)}\n```")
        page.click("#assistant-send")
        # Tokens are shown while the answer still streams.
        page.wait_for_function("""() => { const m = document.querySelector('.msg.assistant.streaming .msg-text');
            return m && m.textContent.includes('word1') && !m.textContent.includes('```'); }""")
        answer = page.locator(".msg.assistant").last
        expect(answer).not_to_have_class(re.compile("streaming"), timeout=30_000)
        box = answer.locator(".assistant-proposal")
        expect(box.locator(".diff .add", has_text="SELECT email FROM customers")).to_have_count(1)
        expect(box.locator(".diff .del", has_text="SELECT 1")).to_have_count(1)
        # Proposed, not applied.
        expect(page.locator("#f-query")).to_have_value("SELECT 1")
        shot(page, "assistant-component-desktop")
        box.locator("#assistant-reject").click()
        expect(box).to_have_attribute("data-state", "rejected")
        expect(page.locator("#f-query")).to_have_value("SELECT 1")
        # The model was given the type's JSON Schema, the draft and the connection's scanned schema.
        body = requests_seen(llm_server)[-1]["body"]
        system = body["messages"][0]["content"]
        assert body["model"] == "test-model" and body["stream"] is True
        assert "JSON Schema of the config" in system and '"query"' in system
        assert "SELECT 1" in system  # the draft
        assert f'Declared connection "{fixture_connection.connection["name"]}"' in system and "orders" in system
        # A second turn carries the conversation; Apply puts the proposal into the form.
        page.fill("[data-testid='assistant-input']", f"again please\n```json\n{json.dumps(proposal)}\n```")
        page.click("#assistant-send")
        second = page.locator(".msg.assistant").nth(1)
        second.locator("#assistant-apply").click()
        expect(second.locator(".assistant-proposal")).to_have_attribute("data-state", "applied")
        expect(page.locator("#f-query")).to_have_value("SELECT email FROM customers")
        last_user = requests_seen(llm_server)[-1]["body"]["messages"][-1]["content"]
        assert last_user.startswith("User: ") and "\n\nAssistant: " in last_user and last_user.rstrip().endswith("```")
        # Nothing was saved by the assistant.
        assert not [c for c in items(kernel.api("GET", "/components", None)) if c.get("type") == "Data"]
        visit(phone, "/components/new", "[data-testid='assistant'] [data-testid='assistant-input']")
        shot(phone, "assistant-component-phone")
    finally:
        kernel.api("DELETE", f"/components/{llm['id']}")


def test_assistant_in_the_builder_proposes_a_workflow_draft(page, kernel, catalog, llm_server):
    llm = kernel.api("POST", "/components", {"name": "Builder LLM", "config": {
        "type": "LLM Prompt Agent", "model": "test-model", "endpoint": llm_server["endpoint"]}})
    try:
        visit(page, "/workflows/new", "[data-testid='assistant'] [data-testid='assistant-input']")
        draft = {"name": "Assistant drafted", "steps": [{"id": "greet", "component": catalog.hello["id"]}]}
        page.fill("[data-testid='assistant-input']", f"one step\n```json\n{json.dumps(draft)}\n```")
        page.click("#assistant-send")
        box = page.locator(".msg.assistant .assistant-proposal")
        expect(box.locator(".diff .add").first).to_be_visible(timeout=30_000)
        expect(page.locator("[data-testid='node']")).to_have_count(0)
        system = requests_seen(llm_server)[-1]["body"]["messages"][0]["content"]
        assert "draft a workflow" in system and catalog.hello["id"] in system  # the components it may use
        box.locator("#assistant-apply").click()
        expect(page.locator("[data-testid='node'][data-step='greet']")).to_have_count(1)
        expect(page.locator("#wf-name")).to_have_value("Assistant drafted")
        shot(page, "assistant-builder-desktop")
        assert not [w for w in items(kernel.api("GET", "/workflows")) if w["name"] == "Assistant drafted"]
    finally:
        kernel.api("DELETE", f"/components/{llm['id']}")
