#!/usr/bin/env python3
"""Step-line -> client latency of live run events.

N SSE clients (GET /api/v1/workflow-runs/{id}/stream) and, as the peer measured
in the same run, one control-socket client (run.subscribe over the Unix socket)
follow the same run. The step prints `t=<time_ns>` lines; each client records
receive time minus the embedded time. Prints p50/p99 per transport and the ratio.
"""
import json, os, re, selectors, socket, sys, time, urllib.request

port, sock_path, clients, lines = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
base = f"http://127.0.0.1:{port}"

def call(method, path, body=None):
    req = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())

code = ("import time\n"
        "def main():\n"
        f"    for i in range({lines}):\n"
        "        print(f't={time.time_ns()}', flush=True)\n"
        "        time.sleep(0.005)\n"
        "    return 1\n")
call("POST", "/api/v1/components", {"name": "sse-bench-lines", "config": {"type": "Python Script", "codeContent": code}})
wf = call("POST", "/api/v1/workflows", {"name": "sse-bench", "steps": [{"id": "a", "component": "sse-bench-lines"}]})
# Start the run paused behind a sleeper? Not needed: clients attach with after=0 and
# only lines received live (not replayed) are measured.
sel = selectors.DefaultSelector()
pat = re.compile(rb"t=(\d+)")

run_id = call("POST", f"/api/v1/workflows/{wf['id']}/runs", {})["run_id"]
state = {}
for i in range(clients):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(f"GET /api/v1/workflow-runs/{run_id}/stream HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ, ("sse", i))
    state[("sse", i)] = {"buf": b"", "lat": [], "done": False}
u = socket.socket(socket.AF_UNIX)
u.connect(sock_path)
u.sendall((json.dumps({"jsonrpc": "2.0", "id": 1, "method": "run.subscribe", "params": {"id": run_id}}) + "\n").encode())
u.setblocking(False)
sel.register(u, selectors.EVENT_READ, ("socket", 0))
state[("socket", 0)] = {"buf": b"", "lat": [], "done": False}

def consume(key, data, now):
    st = state[key]
    st["buf"] += data
    sep = b"\n\n" if key[0] == "sse" else b"\n"
    while sep in st["buf"]:
        frame, st["buf"] = st["buf"].split(sep, 1)
        if b"event: end" in frame or b'"type":"end"' in frame:
            st["done"] = True
        for m in pat.finditer(frame):
            st["lat"].append((now - int(m.group(1))) / 1e6)

deadline = time.time() + 300
while not all(s["done"] for s in state.values()) and time.time() < deadline:
    for k, _ in sel.select(timeout=1):
        try:
            data = k.fileobj.recv(1 << 20)
        except BlockingIOError:
            continue
        now = time.time_ns()
        if not data:
            sel.unregister(k.fileobj)
            state[k.data]["done"] = True
            continue
        consume(k.data, data, now)

def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p))] if v else float("nan")

sse = [x for k, s in state.items() if k[0] == "sse" for x in s["lat"]]
peer = state[("socket", 0)]["lat"]
print(f"SSE, {clients} clients, {lines} lines: {len(sse)} samples, p50 {pct(sse, .5):.3f} ms, p99 {pct(sse, .99):.3f} ms")
print(f"peer: control socket run.subscribe, 1 client: {len(peer)} samples, p50 {pct(peer, .5):.3f} ms, p99 {pct(peer, .99):.3f} ms")
if peer and sse:
    print(f"ratio SSE/socket: p50 {pct(sse, .5) / max(pct(peer, .5), 1e-9):.2f}x, p99 {pct(sse, .99) / max(pct(peer, .99), 1e-9):.2f}x")
missing = [k for k, s in state.items() if len(s["lat"]) < lines]
if missing:
    print(f"note: {len(missing)} clients saw fewer than {lines} lines (joined after the first lines were printed)")
