#!/usr/bin/env python3
"""Soak of one live kernel (issue 16): RUNS runs of a mixed workflow with CLIENTS SSE clients.

The workflow: `py` (a sandboxed Python Script step that prints lines), `big` (a sandboxed Python
step returning a 5 MiB string unique to the run: stored as a blob, passed by reference),
`check` (a sandboxed Python dependant receiving the whole 5 MiB value and returning its length
and SHA-256), `data` (a Data step through the bundled sqlite connector on a file database) and
`merge` (an in-process Utility merge of `py` and `data`).

Each client thread submits its next run, follows GET /api/v1/workflow-runs/{id}/stream and
drops the connection at random, reconnecting with `Last-Event-ID` (the last `id:` it saw).
When it saw `end` it compares what it received with the stored events (`run.events`): every
seq exactly once, in order, none missing; exactly one `end` and one completion per step.
The main thread samples the kernel's RSS, open fds and the store size, and calls `kernel.gc`
(MCPK_RETENTION is set by run.sh) between batches so finished runs are swept while it runs.

Usage: soak.py PORT SOCKET PID STORE RUNS CLIENTS   (STORE: sqlite:<home> | postgres:<url>)
Prints the figures and one line per check; exits 1 when a check fails.
"""
import hashlib, json, os, random, socket, subprocess, sys, threading, time

port, sock_path, pid, store = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
runs, clients = int(sys.argv[5]), int(sys.argv[6])
BIG = 5 << 20
DROP = float(os.environ.get("SOAK_DROP_PROBABILITY", "0.08"))  # per received frame
rng_seed = int(os.environ.get("SOAK_SEED", "16"))


class Control:
    """One control-socket connection (NDJSON JSON-RPC), one call at a time."""

    def __init__(self):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.connect(sock_path)
        self.f = self.s.makefile("rb")
        self.n = 0

    def call(self, method, params=None):
        self.n += 1
        msg = {"jsonrpc": "2.0", "id": self.n, "method": method, "params": params or {}}
        self.s.sendall((json.dumps(msg) + "\n").encode())
        while True:
            line = self.f.readline()
            if not line:
                raise RuntimeError(f"{method}: control socket closed")
            m = json.loads(line)
            if m.get("id") != self.n:
                continue  # a notification
            if "error" in m:
                raise RuntimeError(f"{method}: {m['error']}")
            return m["result"]

    def close(self):
        self.s.close()


def gc(c, patience=120):
    """`kernel.gc`; a sweep already running (the retention timer's own, answered `conflict`) is
    waited out and the call repeated."""
    deadline = time.time() + patience
    while True:
        try:
            return c.call("kernel.gc", {})
        except RuntimeError as e:
            if "a retention sweep is already running" not in str(e) or time.time() > deadline:
                raise
            time.sleep(0.5)


def ensure(c, method, params):
    try:
        return c.call(method, params)
    except RuntimeError as e:
        if "conflict" not in str(e):
            raise


def big_value(i):
    tail = f"-{i}"
    return "x" * (BIG - len(tail)) + tail


# MARK: observations of the kernel

def rss_bytes():
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def open_fds():
    return len(os.listdir(f"/proc/{pid}/fd"))


# A PostgreSQL kernel keeps up to PostgresDatabase.defaultPoolSize (4) pooled connections open once
# load made it open them, plus PostgresBlobStore's own connection and the shared queue's LISTEN
# connection (PostgresListener): not a leak, counted apart.
DB_CONNECTIONS_MAX = 4 + 1 + 1


def db_connections():
    """The kernel's TCP connections to the PostgreSQL server (0 on SQLite)."""
    kind, where = store.split(":", 1)
    if kind != "postgres":
        return 0
    port = where.rsplit("@", 1)[-1].split("/")[0].rsplit(":", 1)[-1]
    out = subprocess.run(["ss", "-tnp", "state", "established"], capture_output=True, text=True).stdout.splitlines()
    return sum(1 for line in out if f"pid={pid}," in line and line.split()[3].endswith(":" + port))


# The Data step's sqlite connector connections (ConnectionPool: up to MCPK_CONNECTION_POOL_SIZE, default
# 8, per connection record; an idle one stays open for the next statement): each holds the data file
# open. When steps overlap the pool opens another, so they are counted apart and checked against it.
CONNECTOR_POOL_MAX = int(os.environ.get("MCPK_CONNECTION_POOL_SIZE", "8"))


def connector_fds():
    """The kernel's fds on the Data step's database file (the connector pool's connections)."""
    n = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") == db_path:
                n += 1
        except OSError:
            pass
    return n


def other_fds():
    """Open fds other than the pooled database and connector connections."""
    return open_fds() - db_connections() - connector_fds()


def fd_targets():
    """Every fd's target (path, socket:[…], pipe:[…], …) with its count."""
    targets = {}
    for n in os.listdir(f"/proc/{pid}/fd"):
        try:
            t = os.readlink(f"/proc/{pid}/fd/{n}")
        except OSError:
            continue
        t = t.split(":[")[0] if ":[" in t else t
        targets[t] = targets.get(t, 0) + 1
    return targets


def fd_kinds():
    """What the kernel's fds point at, by kind (socket, pipe, anon_inode:…, a path's first two parts)."""
    kinds = {}
    for n in os.listdir(f"/proc/{pid}/fd"):
        try:
            t = os.readlink(f"/proc/{pid}/fd/{n}")
        except OSError:
            continue
        k = t.split(":[")[0] if ":[" in t else "/".join(t.split("/")[:3])
        kinds[k] = kinds.get(k, 0) + 1
    return kinds


def dir_bytes(path):
    total = 0
    for root, _, files in os.walk(path):
        for n in files:
            try:
                total += os.lstat(os.path.join(root, n)).st_size
            except FileNotFoundError:
                pass
    return total


def store_bytes():
    kind, where = store.split(":", 1)
    if kind == "sqlite":
        db = sum(os.path.getsize(os.path.join(where, n)) for n in os.listdir(where) if n.startswith("mcpk.db"))
        return db + dir_bytes(os.path.join(where, "blobs"))
    out = subprocess.run(["psql", where, "-Atc", "SELECT pg_database_size(current_database())"],
                         capture_output=True, text=True, check=True).stdout
    return int(out.strip())


def mib(n):
    return f"{n / 1048576:.1f} MiB"


# MARK: set-up

c = Control()
db_path = os.environ["SOAK_DATA_DB"]
ensure(c, "connection.create", {"name": "soak-lite", "plugin": "sqlite", "config": {"path": db_path, "create": True}})
c.call("connection.query", {"id": "soak-lite", "sql": "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)"})
if c.call("connection.query", {"id": "soak-lite", "sql": "SELECT count(*) FROM t"})["rows"][0][0] == 0:
    c.call("connection.query", {"id": "soak-lite", "sql": "INSERT INTO t (v) VALUES ('a'), ('b'), ('c'), ('d'), ('e')"})
ensure(c, "component.create", {"name": "soak-py", "config": {"type": "Python Script", "codeContent":
       "def main(i):\n    for n in range(3):\n        print(f'line {n} of run {i}', flush=True)\n    return {'i': i, 'sq': i * i}\n"}})
ensure(c, "component.create", {"name": "soak-big", "config": {"type": "Python Script", "codeContent":
       f"def main(i):\n    tail = f'-{{i}}'\n    return 'x' * ({BIG} - len(tail)) + tail\n"}})
ensure(c, "component.create", {"name": "soak-check", "config": {"type": "Python Script", "codeContent":
       "import hashlib\ndef main(big):\n    return {'len': len(big), 'sha256': hashlib.sha256(big.encode()).hexdigest()}\n"}})
ensure(c, "component.create", {"name": "soak-data", "config": {"type": "Data", "connection": "soak-lite",
       "query": "SELECT id, v FROM t WHERE id = ?", "params": ["${inputs.k}"]}})
ensure(c, "component.create", {"name": "soak-merge", "config": {"type": "Utility", "operation": "merge"}})
ensure(c, "workflow.create", {"name": "soak", "definition": {
    "inputs": {"type": "object", "properties": {"i": {"type": "integer"}, "k": {"type": "integer"}}},
    "steps": [
        {"id": "py", "component": "soak-py", "inputs": {"i": "${inputs.i}"}},
        {"id": "big", "component": "soak-big", "inputs": {"i": "${inputs.i}"}},
        {"id": "check", "component": "soak-check", "needs": ["big"], "inputs": {"big": "${steps.big.result}"}},
        {"id": "data", "component": "soak-data", "inputs": {"k": "${inputs.k}"}},
        {"id": "merge", "component": "soak-merge", "needs": ["py", "data"],
         "inputs": {"py": "${steps.py.result}", "rows": "${steps.data.result.rows}"}},
    ]}})
STEPS = ["py", "big", "check", "data", "merge"]
TERMINAL = ("succeeded", "failed", "cancelled", "timed_out", "skipped")


# MARK: clients

lock = threading.Lock()
failures = []          # (run index, message), the first few kept in full
counts = {"runs": 0, "events": 0, "reconnects": 0, "ends": 0, "succeeded": 0, "lost": 0, "duplicates": 0,
          "out_of_order": 0, "duplicate_completions": 0, "big_intact": 0}
next_run = [0]


def fail(i, msg):
    with lock:
        failures.append((i, msg))


def take_index():
    with lock:
        if next_run[0] >= runs:
            return None
        next_run[0] += 1
        return next_run[0] - 1


def follow(run_id, rnd):
    """Follows a run's SSE stream to `end`, dropping the connection at random. Returns
    (list of (seq, type, event) in arrival order, reconnects)."""
    got, last, reconnects = [], None, 0
    while True:
        s = socket.create_connection(("127.0.0.1", port), timeout=600)
        head = f"GET /api/v1/workflow-runs/{run_id}/stream HTTP/1.1\r\nHost: soak\r\n"
        if last is not None:
            head += f"Last-Event-ID: {last}\r\n"
        s.sendall((head + "\r\n").encode())
        buf, headers_done, ended, dropped = b"", False, False, False
        while not ended and not dropped:
            data = s.recv(65536)
            if not data:
                break
            buf += data
            if not headers_done:
                if b"\r\n\r\n" not in buf:
                    continue
                status, buf = buf.split(b"\r\n\r\n", 1)
                if not status.startswith(b"HTTP/1.1 200"):
                    raise RuntimeError(f"stream answered {status.splitlines()[0]!r}")
                headers_done = True
            while b"\n\n" in buf:
                frame, buf = buf.split(b"\n\n", 1)
                fields = {}
                for line in frame.decode().split("\n"):
                    if line.startswith(":") or ":" not in line:
                        continue
                    k, v = line.split(":", 1)
                    fields[k] = v[1:] if v.startswith(" ") else v
                if "id" not in fields:
                    continue  # retry:, heartbeat
                seq = int(fields["id"])
                event = json.loads(fields["data"])
                got.append((seq, fields.get("event"), event))
                last = seq
                if fields.get("event") == "end":
                    ended = True
                    break
                if rnd.random() < DROP:
                    dropped = True
                    break
        s.close()
        if ended:
            return got, reconnects
        reconnects += 1


def check_run(cc, i, run_id, got):
    stored = []
    after = 0
    while True:
        page = cc.call("run.events", {"id": run_id, "after": after, "limit": 1000})
        stored += page["items"]
        if not page["items"]:
            break
        after = page["last_seq"]
    want = [e["seq"] for e in stored]
    seqs = [g[0] for g in got]
    dup = len(seqs) - len(set(seqs))
    order = sum(1 for a, b in zip(seqs, seqs[1:]) if b <= a)
    lost = len(set(want) - set(seqs))
    extra = len(set(seqs) - set(want))
    ends = sum(1 for g in got if g[1] == "end")
    completions = {}
    for g in got:  # a step's `result`, and every terminal status_change of a step or of the run
        status = (g[2].get("payload") or {}).get("status") if g[1] == "status_change" else None
        if g[1] == "result" or status in TERMINAL:
            key = (g[1], g[2].get("step_id"))
            completions[key] = completions.get(key, 0) + 1
    dup_completions = sum(n - 1 for n in completions.values() if n > 1) + max(0, ends - 1)
    same = all(g[2] == e for g, e in zip(got, stored)) and len(got) == len(stored)
    with lock:
        counts["events"] += len(got)
        counts["ends"] += ends
        counts["lost"] += lost
        counts["duplicates"] += dup
        counts["out_of_order"] += order
        counts["duplicate_completions"] += dup_completions
    if dup or order or lost or extra or ends != 1 or dup_completions or not same:
        fail(i, f"run {run_id}: received {seqs}, stored {want} (dup {dup}, out of order {order}, lost {lost}, "
                f"extra {extra}, ends {ends}, duplicate completions {dup_completions}, identical {same})")
    run = cc.call("run.get", {"id": run_id})
    steps = {s["step_id"] if "step_id" in s else s.get("id"): s for s in run.get("steps", [])}
    if run.get("status") != "succeeded":
        fail(i, f"run {run_id} ended {run.get('status')}: {json.dumps(run)[:2000]}")
        return
    chk = (steps.get("check") or {}).get("result") or {}
    if chk.get("len") != BIG or chk.get("sha256") != hashlib.sha256(big_value(i).encode()).hexdigest():
        fail(i, f"run {run_id}: the dependant did not get the 5 MiB value intact: {chk}")
    else:
        with lock:
            counts["big_intact"] += 1
    merged = (steps.get("merge") or {}).get("result") or {}
    if merged != {"i": i, "sq": i * i, "rows": [[i % 5 + 1, "abcde"[i % 5]]]}:  # a shallow merge of its inputs
        fail(i, f"run {run_id}: merge result {merged}")
    with lock:
        counts["succeeded"] += 1


def client(n):
    rnd = random.Random(rng_seed * 1000 + n)
    cc = Control()
    try:
        while (i := take_index()) is not None:
            try:
                run_id = cc.call("workflow.run", {"id": "soak", "inputs": {"i": i, "k": i % 5 + 1}})["run_id"]
                got, reconnects = follow(run_id, rnd)
                with lock:
                    counts["runs"] += 1
                    counts["reconnects"] += reconnects
                check_run(cc, i, run_id, got)
            except Exception as e:  # noqa: BLE001 - every failure is reported, none is fatal to the others
                fail(i, f"client {n}: {type(e).__name__}: {e}")
    finally:
        cc.close()


# MARK: the soak

def settle_fds(target, seconds=60):
    deadline = time.time() + seconds
    n = other_fds()
    while n > target and time.time() < deadline:
        time.sleep(0.5)
        n = other_fds()
    return n


# One warm-up run (per-component caches, runner pool, plugin handles) before "idle" is measured.
warm_id = c.call("workflow.run", {"id": "soak", "inputs": {"i": -1, "k": 1}})["run_id"]
for _ in range(1200):
    if c.call("run.get", {"id": warm_id})["status"] in TERMINAL:
        break
    time.sleep(0.25)
# Idle: warm runners retire after MCPK_RUNNER_IDLE_SECONDS (run.sh sets it short), each holding
# sockets to the kernel; idle is the kernel with none left.
RUNNER_IDLE = int(os.environ.get("MCPK_RUNNER_IDLE_SECONDS", "5"))


def runners():
    return (c.call("kernel.status").get("runners") or {}).get("runners", 0)


def settle_runners(seconds):
    deadline = time.time() + seconds
    while time.time() < deadline and runners() > 0:
        time.sleep(0.5)


settle_runners(RUNNER_IDLE + 30)
gc(c)
idle_fds, idle_db, idle_kinds, idle_targets, rss0, store0 = other_fds(), db_connections(), fd_kinds(), fd_targets(), rss_bytes(), store_bytes()
idle_connector = connector_fds()
print(f"before: RSS {mib(rss0)}, store {mib(store0)}, open fds {idle_fds} + {idle_db} database connections "
      f"(idle: after one warm-up run, its warm runners retired)", flush=True)

t0 = time.time()
threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
for t in threads:
    t.start()
samples = []   # (runs done, rss, store)
last_gc = 0
while any(t.is_alive() for t in threads):
    time.sleep(5)
    done = counts["runs"]
    if done - last_gc >= max(50, runs // 40):
        last_gc = done
        try:
            gc(c)
        except RuntimeError as e:
            fail(-1, f"kernel.gc: {e}")
    samples.append((done, rss_bytes(), store_bytes()))
    print(f"  {done}/{runs} runs, {time.time() - t0:.0f} s, RSS {mib(samples[-1][1])}, store {mib(samples[-1][2])}, "
          f"fds {open_fds()}", flush=True)
for t in threads:
    t.join()
elapsed = time.time() - t0

# Retention sweeps what finished (runs older than the policy's age), then the kernel idles.
time.sleep(float(os.environ.get("SOAK_RETENTION_WAIT", "3")))
gc_summary = gc(c)
settle_runners(RUNNER_IDLE + 60)
c.close()
fds_end = settle_fds(idle_fds)
db_end = db_connections()
connector_end = connector_fds()
rss1, store1 = rss_bytes(), store_bytes()
mid = [s for s in samples if s[0] >= runs // 2] or samples[-1:] or [(0, rss1, store1)]
rss_mid, store_mid = mid[0][1], mid[0][2]
print(f"after:  RSS {mib(rss1)}, store {mib(store1)}, open fds {fds_end} + {db_end} database connections; halfway: RSS {mib(rss_mid)}, store {mib(store_mid)}; "
      f"last gc deleted {gc_summary['runs']['count']} runs, {gc_summary['blobs']['count']} blobs")
print(f"{counts['runs']} runs in {elapsed:.0f} s ({counts['runs'] / max(elapsed, 1e-9):.1f} runs/s), {clients} SSE clients, "
      f"{counts['events']} events received, {counts['reconnects']} reconnects with Last-Event-ID")

checks = [
    ("every run followed to its end", counts["runs"] == runs and counts["ends"] == runs, f"{counts['runs']}/{runs} runs, {counts['ends']} ends"),
    ("every run succeeded", counts["succeeded"] == runs, f"{counts['succeeded']}/{runs}"),
    ("every client saw every event of its runs exactly once, in order", counts["lost"] == 0 and counts["duplicates"] == 0 and counts["out_of_order"] == 0,
     f"lost {counts['lost']}, duplicates {counts['duplicates']}, out of order {counts['out_of_order']}"),
    ("0 duplicate completions", counts["duplicate_completions"] == 0, f"{counts['duplicate_completions']}"),
    ("every 5 MiB value reached its dependant intact", counts["big_intact"] == runs, f"{counts['big_intact']}/{runs}"),
    # Bounded: a leak grows with the run count, so the second half of the soak may grow by at most a
    # quarter of what the first half grew (caches and allocator pools level off), or 16 MiB.
    ("RSS bounded (after − halfway ≤ max(16 MiB, ¼ × (halfway − before)))",
     rss1 - rss_mid <= max(16 << 20, (rss_mid - rss0) / 4),
     f"{mib(rss0)} → {mib(rss_mid)} → {mib(rss1)} (+{mib(rss_mid - rss0)}, then +{mib(rss1 - rss_mid)})"),
    ("store size bounded with MCPK_RETENTION (after ≤ halfway + 25% + 32 MiB)", store1 <= store_mid * 1.25 + (32 << 20),
     f"{mib(store0)} → {mib(store_mid)} → {mib(store1)}"),
    ("open fds back to the idle count", fds_end <= idle_fds, f"{idle_fds} idle, {fds_end} after (pooled database connections apart)"),
    (f"database connections within the pool (≤ {DB_CONNECTIONS_MAX})", db_end <= DB_CONNECTIONS_MAX, f"{idle_db} idle, {db_end} after"),
    (f"connector connections within the pool (≤ {CONNECTOR_POOL_MAX})", connector_end <= CONNECTOR_POOL_MAX,
     f"{idle_connector} idle, {connector_end} after (fds on {db_path})"),
]
if fds_end > idle_fds:
    end_kinds = fd_kinds()
    print("  fds by kind, idle → after: " + ", ".join(f"{k} {idle_kinds.get(k, 0)} → {end_kinds.get(k, 0)}"
                                                    for k in sorted(set(idle_kinds) | set(end_kinds)) if idle_kinds.get(k, 0) != end_kinds.get(k, 0)))
    ss = subprocess.run(["ss", "-xtanp"], capture_output=True, text=True).stdout.splitlines()
    mine = {}
    for line in ss:
        if f"pid={pid}," in line:
            parts = line.split()
            key = f"{parts[0]} {parts[1]} {parts[4] if parts[0] == 'tcp' else ''}"
            mine[key] = mine.get(key, 0) + 1
    end_targets = fd_targets()
    print("  fds by target, idle → after: " + ", ".join(f"{k} {idle_targets.get(k, 0)} → {end_targets.get(k, 0)}"
                                                      for k in sorted(set(idle_targets) | set(end_targets))
                                                      if idle_targets.get(k, 0) != end_targets.get(k, 0)))
    print("  the kernel's sockets (ss): " + ", ".join(f"{k.strip()} × {n}" for k, n in sorted(mine.items())))
bad = 0
for name, ok, detail in checks:
    print(f"  {'ok  ' if ok else 'FAIL'} {name}: {detail}")
    bad += 0 if ok else 1
for i, msg in failures[:10]:
    print(f"  failure (run index {i}): {msg[:3000]}")
if len(failures) > 10:
    print(f"  … {len(failures) - 10} more failures")
sys.exit(1 if bad or failures else 0)
