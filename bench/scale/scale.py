#!/usr/bin/env python3
"""Scale-out benchmark: N kernels (separate homes) on one PostgreSQL database, one shared queue.

For each N: a fresh database, N `mcpk serve` kernels with the same MCPK_MAX_CONCURRENT_STEPS,
after warm-up waves that give every kernel a full warm runner pool (not measured),
RUNS runs of a SLEEP-second Python step submitted all to kernel 1 over HTTP; throughput is
RUNS / (last finished_at - first created_at); queue wait = started_at - created_at of each run.
Then the cross-kernel live latency: one run printing `t=<ns>` lines executes on one kernel,
SSE_CLIENTS SSE clients follow it on the other; latency = receive time - embedded time.
"""
import http.client, json, os, re, selectors, shutil, socket, subprocess, sys, tempfile, threading, time, urllib.request
from concurrent.futures import ThreadPoolExecutor

mcpk, pg = sys.argv[1], sys.argv[2]
REDIS = os.environ.get("MCPK_BENCH_REDIS_URL") or None  # set by run.sh (empty: no Redis phase)
RUNS = int(os.environ.get("SCALE_RUNS", "300"))
STEPS = os.environ.get("SCALE_STEPS", "8")
SLEEP = float(os.environ.get("SCALE_SLEEP", "0.2"))
KERNELS = [int(x) for x in os.environ.get("SCALE_KERNELS", "1 2 3").split()]
CLIENTS = int(os.environ.get("SSE_CLIENTS", "100"))
LINES = int(os.environ.get("SSE_LINES", "500"))

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def psql(url, sql):
    return subprocess.run(["psql", url, "-At", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True, capture_output=True, text=True).stdout

def fresh_db(tag):
    name = f"bench_scale_{tag}_{os.getpid()}"
    psql(pg, f"DROP DATABASE IF EXISTS {name}")
    psql(pg, f"CREATE DATABASE {name}")
    return pg.rsplit("/", 1)[0] + "/" + name

def call(port, method, path, body=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())

# The submitting client keeps one HTTP/1.1 connection per thread (keep-alive), as a real client
# would; a new TCP connection per request costs the 2-core machine's CPU that the kernels share.
_conns = threading.local()

def submit(port, path, body):
    key = f"c{port}"
    for attempt in range(2):
        c = getattr(_conns, key, None)
        if c is None:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=60); setattr(_conns, key, c)
        try:
            c.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
            r = c.getresponse(); data = r.read()
            if r.status >= 300: raise SystemExit(f"POST {path}: HTTP {r.status}: {data[:300]!r}")
            return json.loads(data)
        except (http.client.HTTPException, OSError):
            c.close(); setattr(_conns, key, None)
            if attempt: raise

def unfinished(db):
    return int(psql(db, "SELECT count(*) FROM workflow_runs WHERE finished_at IS NULL").strip())

class Kernel:
    def __init__(self, db, extra=None):
        self.home = tempfile.mkdtemp(prefix="mcpk-bench-scale-")
        self.port = free_port()
        env = dict(os.environ, MCPK_HOME=self.home, MCPK_HTTP=f"127.0.0.1:{self.port}", MCPK_LOG_LEVEL="warning",
                   DATABASE_URL=db, MCPK_MAX_CONCURRENT_STEPS=STEPS, **(extra or {}))
        self.log = open(self.home + ".log", "w")
        self.proc = subprocess.Popen([mcpk, "serve"], env=env, stdout=self.log, stderr=self.log, cwd="/tmp")
        for _ in range(600):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1); return
            except Exception:
                time.sleep(0.05)
        raise SystemExit("kernel did not start: " + open(self.home + ".log").read())

    def stop(self):
        self.proc.terminate()
        try: self.proc.wait(30)
        except subprocess.TimeoutExpired: self.proc.kill()
        shutil.rmtree(self.home, ignore_errors=True)
        try: os.unlink(self.home + ".log")
        except OSError: pass

def pct(xs, p):
    xs = sorted(xs); return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] if xs else float("nan")

def throughput(n):
    db = fresh_db(f"k{n}")
    ks = [Kernel(db) for _ in range(n)]
    try:
        p = ks[0].port
        code = f"import time\ndef main(i):\n    time.sleep({SLEEP})\n    return {{'i': i}}\n"
        call(p, "POST", "/api/v1/components", {"name": "nap", "config": {"type": "Python Script", "codeContent": code}})
        wf = call(p, "POST", "/api/v1/workflows", {"name": "naps", "inputs": {"type": "object", "properties": {"i": {"type": "integer"}}},
                                                    "steps": [{"id": "nap", "component": "nap", "inputs": {"i": "${inputs.i}"}}]})
        # Warm-up (not measured): waves of one run per step slot of every kernel until each kernel
        # holds a full warm runner pool (one runner per step it may run), as a long-running kernel
        # does; otherwise the measured window would also time the kernels' first runner starts.
        warm = []
        for wave in range(6):
            with ThreadPoolExecutor(8) as ex:
                list(ex.map(lambda i: submit(p, f"/api/v1/workflows/{wf['id']}/runs", {"inputs": {"i": -1}}), range(n * int(STEPS))))
            while unfinished(db): time.sleep(0.1)
            warm = [(call(k.port, "GET", "/api/v1/kernel/status").get("runners") or {}).get("runners", 0) for k in ks]
            if min(warm) >= int(STEPS): break
        print(f"  warm-up: {wave + 1} wave(s) of {n * int(STEPS)} runs; warm runners per kernel {warm}", flush=True)
        t0 = int(time.time() * 1000) - 1
        with ThreadPoolExecutor(8) as ex:
            list(ex.map(lambda i: submit(p, f"/api/v1/workflows/{wf['id']}/runs", {"inputs": {"i": i}}), range(RUNS)))
        deadline = time.time() + 900
        while time.time() < deadline:
            if unfinished(db) == 0: break
            time.sleep(0.2)
        rows = [r.split("|") for r in psql(db, f"SELECT created_at, started_at, finished_at, status, owner FROM workflow_runs WHERE created_at >= {t0}").split()]
        created = [int(r[0]) for r in rows]; started = [int(r[1]) for r in rows if r[1]]; finished = [int(r[2]) for r in rows if r[2]]
        ok = sum(1 for r in rows if r[3] == "succeeded")
        waits = [int(r[1]) - int(r[0]) for r in rows if r[1]]
        owners = {}
        for r in rows: owners[r[4]] = owners.get(r[4], 0) + 1
        secs = (max(finished) - min(created)) / 1000
        submit_secs = max((max(created) - min(created)) / 1000, 0.001)
        return {"runs_per_s": len(rows) / secs, "submits_per_s": len(rows) / submit_secs, "ok": ok, "n": len(rows), "wait_p50": pct(waits, 50), "wait_p99": pct(waits, 99),
                "per_kernel": sorted(owners.values(), reverse=True)}
    finally:
        for k in ks: k.stop()
        psql(pg, f"DROP DATABASE IF EXISTS {db.rsplit('/', 1)[1]}")

def live_latency(redis=None):
    db = fresh_db("live_redis" if redis else "live")
    extra = {"REDIS_URL": redis} if redis else None
    ks = [Kernel(db, extra), Kernel(db, extra)]
    try:
        p = ks[0].port
        code = ("import time\ndef main():\n"
                f"    time.sleep(1.0)\n    for i in range({LINES}):\n"
                "        print(f't={time.time_ns()}', flush=True)\n        time.sleep(0.005)\n    return 1\n")
        call(p, "POST", "/api/v1/components", {"name": "lines", "config": {"type": "Python Script", "codeContent": code}})
        wf = call(p, "POST", "/api/v1/workflows", {"name": "lines", "steps": [{"id": "a", "component": "lines"}]})
        run_id = call(p, "POST", f"/api/v1/workflows/{wf['id']}/runs", {})["run_id"]
        owner = None
        while owner is None:
            owner = call(p, "GET", f"/api/v1/workflow-runs/{run_id}").get("owner"); time.sleep(0.005)
        owners = [call(k.port, "GET", "/api/v1/kernel/status")["engine"]["owner"] for k in ks]
        b = ks[1 - owners.index(owner)]
        sel = selectors.DefaultSelector(); pat = re.compile(rb"t=(\d+)"); state = {}
        for i in range(CLIENTS):
            s = socket.create_connection(("127.0.0.1", b.port))
            s.sendall(f"GET /api/v1/workflow-runs/{run_id}/stream HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            s.setblocking(False); sel.register(s, selectors.EVENT_READ, i); state[i] = {"buf": b"", "lat": [], "seen": set(), "done": False}
        deadline = time.time() + 300
        while not all(s["done"] for s in state.values()) and time.time() < deadline:
            for key, _ in sel.select(timeout=1):
                data = key.fileobj.recv(65536); now = time.time_ns(); st = state[key.data]
                if not data: st["done"] = True; sel.unregister(key.fileobj); continue
                st["buf"] += data
                while b"\n\n" in st["buf"]:
                    frame, st["buf"] = st["buf"].split(b"\n\n", 1)
                    if b"event: end" in frame: st["done"] = True
                    for m in pat.finditer(frame):
                        st["seen"].add(m.group(1)); st["lat"].append((now - int(m.group(1))) / 1e6)
        lat = [x for s in state.values() for x in s["lat"][5:]]
        lost = sum(LINES - len(s["seen"]) for s in state.values())
        # Which path carried the events to B: Redis messages delivered vs store reads.
        via = call(b.port, "GET", "/api/v1/dashboard/system-health").get("redis", {})
        return {"p50": pct(lat, 50), "p99": pct(lat, 99), "lost": lost, "clients": CLIENTS, "lines": LINES,
                "redis_delivered": (via.get("events") or {}).get("events_delivered"), "redis_gap_reads": (via.get("events") or {}).get("gap_reads")}
    finally:
        for k in ks: k.stop()
        psql(pg, f"DROP DATABASE IF EXISTS {db.rsplit('/', 1)[1]}")

results = {}
for n in KERNELS:
    r = throughput(n); results[n] = r
    base = results.get(KERNELS[0])["runs_per_s"]
    print(f"{n} kernel(s) x {STEPS} steps: {r['n']} runs ({r['ok']} succeeded) {r['runs_per_s']:.1f} runs/s, "
          f"ratio {r['runs_per_s'] / base:.2f}x to {KERNELS[0]} kernel, queue wait p50 {r['wait_p50']} ms p99 {r['wait_p99']} ms, "
          f"runs per kernel {r['per_kernel']}, submitted at {r['submits_per_s']:.1f} runs/s", flush=True)
goals = {2: 1.7, 3: 2.4}
if 1 in results:
    for n, g in goals.items():
        if n in results:
            ratio = results[n]["runs_per_s"] / results[1]["runs_per_s"]
            print(f"goal {n} kernels >= {g}x: {'met' if ratio >= g else 'NOT met'} ({ratio:.2f}x)")
l = live_latency()
print(f"cross-kernel live (step on A, {l['clients']} SSE clients on B, via NOTIFY): p50 {l['p50']:.1f} ms p99 {l['p99']:.1f} ms, "
      f"lost {l['lost']} of {l['lines'] * l['clients']} lines", flush=True)
if REDIS:
    l = live_latency(REDIS)
    print(f"cross-kernel live (step on A, {l['clients']} SSE clients on B, via Redis pub/sub): p50 {l['p50']:.1f} ms p99 {l['p99']:.1f} ms, "
          f"lost {l['lost']} of {l['lines'] * l['clients']} lines; events B took from Redis {l['redis_delivered']}, "
          f"gap reads {l['redis_gap_reads']}")
