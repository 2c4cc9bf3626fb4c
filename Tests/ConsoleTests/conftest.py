"""Fixtures for the console browser tests: a LIVE kernel (`mcpk serve`) with
a temporary home and a free HTTP port, data created through the real REST
API, and Debian's Chromium driven headless by Playwright. No mock server."""
import json
import os
import signal
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / ".build" / "console-screenshots"
KERNEL_READY_TIMEOUT_S = 60
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SLOW_LINES = 40
SLOW_LINE_INTERVAL_S = 0.25


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DropProxy:
    """A plain TCP forwarder in front of the live kernel. `drop()` cuts every
    open connection at once — a real network drop as the browser sees it (the
    kernel keeps running; nothing is faked)."""

    def __init__(self, target_port):
        self.target = ("127.0.0.1", target_port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.lock = threading.Lock()
        self.open = []
        self.drops = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def drop(self):
        with self.lock:
            victims, self.open = self.open, []
            self.drops += 1
        for s in victims:
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass

    def close(self):
        self.listener.close()
        self.drop()


class ApiError(Exception):
    def __init__(self, status, body):
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = body


class Kernel:
    """A real `mcpk serve` process and a tiny JSON client for its REST API."""

    def __init__(self, token=None):
        self.home = tempfile.mkdtemp(prefix="mcpk-ct-", dir="/tmp")
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.token = token
        binary = os.environ.get("MCPK_BIN") or str(ROOT / ".build" / "debug" / "mcpk")
        env = dict(os.environ)
        env.update({"MCPK_HOME": self.home, "MCPK_HTTP": f"127.0.0.1:{self.port}", "MCPK_LOG_LEVEL": "info"})
        if token:
            env["MCPK_TOKEN"] = token
        else:
            env.pop("MCPK_TOKEN", None)
        self.log_path = self.home + ".log"
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([binary, "serve"], cwd=self.home, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + KERNEL_READY_TIMEOUT_S
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mcpk serve exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            if time.time() > deadline:
                raise RuntimeError(f"kernel HTTP not ready after {KERNEL_READY_TIMEOUT_S}s:\n{self.log_tail()}")
            time.sleep(0.2)

    def log_tail(self, n=60):
        try:
            return "\n".join(Path(self.log_path).read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def api(self, method, path, body=None):
        url = self.base + ("/api/v1" + path if not path.startswith("/api/") else path)
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                text = r.read().decode()
                return json.loads(text) if text else None
        except urllib.error.HTTPError as e:
            raise ApiError(e.code, e.read().decode(errors="replace")) from None

    def wait_run(self, run_id, timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            run = self.api("GET", f"/workflow-runs/{run_id}")
            run = run.get("run", run)
            if run["status"] in ("succeeded", "failed", "cancelled", "timed_out"):
                return run
            time.sleep(0.3)
        raise AssertionError(f"run {run_id} did not finish in {timeout}s")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def items(data):
    if isinstance(data, list):
        return data
    for key in ("items", "data", "results"):
        if isinstance(data.get(key), list):
            return data[key]
    return next((v for v in data.values() if isinstance(v, list)), [])


HELLO_CODE = '''def main(name="world", **inputs):
    print("hello from the console test", flush=True)
    return {"greeting": "hello " + str(name)}
'''

SLOW_CODE = f'''import time

def main(**inputs):
    for i in range({SLOW_LINES}):
        print(f"line {{i:03d}} of the slow step", flush=True)
        time.sleep({SLOW_LINE_INTERVAL_S})
    return {{"lines": {SLOW_LINES}}}
'''


def make_fixture_db(path):
    db = sqlite3.connect(path)
    db.executescript("""
        PRAGMA foreign_keys = ON;
        CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT);
        CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id), total REAL);
        INSERT INTO customers (id, email, name) VALUES (1, 'ada@example.org', 'Ada'), (2, 'alan@example.org', 'Alan');
        INSERT INTO orders (id, customer_id, total) VALUES (10, 1, 12.5), (11, 2, 7.25), (12, 1, 3.0);
    """)
    db.commit()
    db.close()


class Catalog:
    """Components and workflows created through the API."""

    def __init__(self, k: Kernel):
        self.hello = k.api("POST", "/components", {
            "name": "Hello Python", "description": "Says hello.", "tags": ["demo", "python"], "owner": "console-tests",
            "config": {"type": "Python Script", "codeContent": HELLO_CODE}})
        # An edit with a changed config makes version 2 (for the diff view).
        self.hello = k.api("PUT", f"/components/{self.hello['id']}", {
            "config": {"type": "Python Script", "codeContent": HELLO_CODE.replace("hello from", "hello again from")}})
        self.slow = k.api("POST", "/components", {
            "name": "Slow Logger", "description": "Prints a line every quarter second.", "tags": ["demo"],
            "config": {"type": "Python Script", "codeContent": SLOW_CODE}})
        self.agent = k.api("POST", "/components", {
            "name": "Summarizer", "description": "An LLM prompt agent.", "tags": ["llm"],
            "config": {"type": "LLM Prompt Agent", "model": "test-model", "systemPrompt": "Be brief."}})
        self.workflow = k.api("POST", "/workflows", {
            "name": "Greeting workflow", "description": "One Python step.",
            "inputs": {"type": "object", "properties": {"name": {"type": "string", "default": "console"}}},
            "steps": [{"id": "greet", "component": self.hello["id"], "inputs": {"name": "${inputs.name}"}}]})
        self.slow_workflow = k.api("POST", "/workflows", {
            "name": "Slow logs", "steps": [{"id": "slow", "component": self.slow["id"]}]})


class FinishedRun:
    def __init__(self, k: Kernel, catalog: Catalog):
        started = k.api("POST", f"/workflows/{catalog.workflow['id']}/runs", {"inputs": {"name": "seed"}})
        self.run_id = started.get("run_id") or started.get("id")
        self.run = k.wait_run(self.run_id)


class FixtureConnection:
    def __init__(self, k: Kernel):
        self.db_path = os.path.join(k.home, "fixture.sqlite")
        make_fixture_db(self.db_path)
        self.connection = k.api("POST", "/external-databases", {
            "name": "Fixture SQLite", "plugin": "sqlite", "config": {"path": self.db_path}})


class Seed:
    """Everything at once, for the page tour."""

    def __init__(self, catalog, finished, conn):
        self.hello, self.slow, self.agent = catalog.hello, catalog.slow, catalog.agent
        self.workflow, self.slow_workflow = catalog.workflow, catalog.slow_workflow
        self.run_id, self.run = finished.run_id, finished.run
        self.connection, self.db_path = conn.connection, conn.db_path


@pytest.fixture(scope="session")
def kernel():
    k = Kernel()
    yield k
    k.stop()


@pytest.fixture(scope="session")
def catalog(kernel):
    return Catalog(kernel)


@pytest.fixture(scope="session")
def finished_run(kernel, catalog):
    return FinishedRun(kernel, catalog)


@pytest.fixture(scope="session")
def fixture_connection(kernel):
    return FixtureConnection(kernel)


@pytest.fixture(scope="session")
def seed(catalog, finished_run, fixture_connection):
    return Seed(catalog, finished_run, fixture_connection)


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=os.environ.get("MCPK_CHROMIUM", "/usr/bin/chromium"),
                              args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield b
        b.close()


SSE_PATHS = ("/stream", "/api/v1/events")


class Watch:
    """Collects uncaught JS errors, console errors and failed requests of a page."""

    def __init__(self, page):
        self.problems = []
        self.allowed_status = set()
        self.allow_network_errors = False
        page.on("pageerror", lambda e: self.problems.append(f"uncaught JS error: {e}"))
        page.on("console", self._console)
        page.on("requestfailed", self._failed)
        page.on("response", self._response)

    def _console(self, msg):
        if msg.type == "error" and "Failed to load resource" not in msg.text:
            self.problems.append(f"console error: {msg.text}")

    def _failed(self, req):
        failure = req.failure or ""
        # Closing a live SSE stream (navigation, end of run) aborts it by design.
        if "ERR_ABORTED" in failure and any(p in req.url for p in SSE_PATHS):
            return
        if self.allow_network_errors:
            return
        self.problems.append(f"request failed: {req.method} {req.url} {failure}")

    def _response(self, resp):
        if resp.status >= 400 and resp.status not in self.allowed_status:
            self.problems.append(f"HTTP {resp.status}: {resp.request.method} {resp.url}")

    def check(self):
        problems, self.problems = self.problems, []
        assert not problems, "\n".join(problems)


@pytest.fixture()
def page(browser, kernel):
    ctx = browser.new_context(viewport=DESKTOP, base_url=kernel.base)
    pg = ctx.new_page()
    pg.set_default_timeout(20_000)
    pg.watch = Watch(pg)
    yield pg
    try:
        pg.watch.check()
    finally:
        ctx.close()


@pytest.fixture()
def phone(browser, kernel):
    ctx = browser.new_context(viewport=PHONE, base_url=kernel.base, is_mobile=True, has_touch=True)
    pg = ctx.new_page()
    pg.set_default_timeout(20_000)
    pg.watch = Watch(pg)
    yield pg
    try:
        pg.watch.check()
    finally:
        ctx.close()


def shot(pg, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
