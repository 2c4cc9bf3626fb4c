"""Connection pool benchmark (issue 13): POOL_QUERIES (8) statements of POOL_SLEEP (0.3) s each
(`SELECT pg_sleep(…)`), sent at once on one control socket to ONE stored connection, for each
MCPK_CONNECTION_POOL_SIZE in POOL_SIZES ("1 8"; 1 is the former single shared connection).
Prints the first (cold: the pool opens its connections) and the median of POOL_ROUNDS (5) warm
rounds, wall-clock from sending the statements to the last reply."""
import json, os, shutil, socket, statistics, subprocess, sys, tempfile, time

mcpk, url = os.path.abspath(sys.argv[1]), sys.argv[2]
QUERIES = int(os.environ.get("POOL_QUERIES", "8"))
SLEEP = float(os.environ.get("POOL_SLEEP", "0.3"))
ROUNDS = int(os.environ.get("POOL_ROUNDS", "5"))
SIZES = os.environ.get("POOL_SIZES", "1 8").split()

class Kernel:
    def __init__(self, pool_size):
        self.home = tempfile.mkdtemp(prefix="mcpk-bench-pool-")
        env = dict(os.environ, MCPK_HOME=self.home, MCPK_HTTP="off", MCPK_LOG_LEVEL="warning",
                   MCPK_CONNECTION_POOL_SIZE=pool_size)
        env.pop("DATABASE_URL", None)
        self.log = open(self.home + "/kernel.log", "w")
        self.proc = subprocess.Popen([mcpk, "serve"], env=env, stdout=self.log, stderr=self.log, cwd="/tmp")
        for _ in range(600):
            try:
                self.sock = socket.socket(socket.AF_UNIX); self.sock.connect(self.home + "/mcpk.sock"); break
            except OSError:
                time.sleep(0.05)
        else:
            raise SystemExit("kernel did not start: " + open(self.home + "/kernel.log").read())
        self.buf, self.next = b"", 1

    def send(self, method, params):
        i = self.next; self.next += 1
        self.sock.sendall(json.dumps({"jsonrpc": "2.0", "id": i, "method": method, "params": params}).encode() + b"\n")
        return i

    def read(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk: raise SystemExit("kernel closed the socket")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def call(self, method, params):
        i = self.send(method, params)
        while True:
            m = self.read()
            if m.get("id") == i:
                if "error" in m: raise SystemExit(f"{method}: {m['error']}")
                return m["result"]

    def stop(self):
        self.sock.close(); self.proc.terminate()
        try: self.proc.wait(30)
        except subprocess.TimeoutExpired: self.proc.kill()
        shutil.rmtree(self.home, ignore_errors=True)

def round_trip(k):
    t0 = time.monotonic()
    ids = {k.send("connection.query", {"id": "pg", "sql": f"SELECT pg_sleep({SLEEP})"}) for _ in range(QUERIES)}
    while ids:
        m = k.read()
        if "error" in m: raise SystemExit(f"query failed: {m['error']}")
        ids.discard(m.get("id"))
    return time.monotonic() - t0

print(f"{QUERIES} x pg_sleep({SLEEP}) on one stored connection, sent at once on one socket "
      f"(serial would be {QUERIES * SLEEP:.1f} s)")
for size in SIZES:
    k = Kernel(size)
    try:
        k.call("connection.create", {"name": "pg", "plugin": "postgres", "config": {"url": url}})
        cold = round_trip(k)
        warm = statistics.median(round_trip(k) for _ in range(ROUNDS))
        print(f"  MCPK_CONNECTION_POOL_SIZE={size:>2}: first {cold:.3f} s, median of {ROUNDS} warm rounds {warm:.3f} s")
    finally:
        k.stop()
