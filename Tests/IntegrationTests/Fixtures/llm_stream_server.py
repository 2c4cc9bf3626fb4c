"""A local OpenAI-compatible chat server speaking the real streaming protocol
(HTTP/1.1, `text/event-stream`, `data:` chunks, `[DONE]`) for the LLM executor's
live tests. Usage: llm_stream_server.py REQUEST_LOG [--key KEY] [--tls CERT KEY]

Prints its port on the first stdout line. Every request is appended to
REQUEST_LOG as JSON `{path, auth, body}`; stream endings as `{event, tokens}`.
Without `Authorization: Bearer KEY` (when --key is given) it answers 401.
The behaviour follows the requested model:
  * anything else: echoes the user prompt word by word, chunked encoding,
    then a usage chunk and `[DONE]`; the served model is "<model>-served";
  * "split": the same stream close-delimited (no length, no chunking), with
    `\\r\\n` line ends, comment lines, an `id:` field, a two-line `data:`
    event, written a few bytes at a time so lines and JSON arrive in pieces;
  * "error-chunk": one token, then `data: {"error":{"message":"model overloaded"}}`;
  * "http500": HTTP 500 with a 2000-byte text body;
  * "empty": a 200 event stream that closes without any event;
  * "slow": a token every 0.2 s for 2 minutes; logs `disconnected` when the
    client goes away;
  * "burst": `max_tokens` tokens as fast as possible, one chunk each (bench/llm)."""
import http.server, json, socket, ssl, sys, time

LOG = sys.argv[1]
args = sys.argv[2:]
KEY = args[args.index("--key") + 1] if "--key" in args else None
TLS = (args[args.index("--tls") + 1], args[args.index("--tls") + 2]) if "--tls" in args else None


def record(obj):
    with open(LOG, "a") as f:
        f.write(json.dumps(obj) + "\n")


def event(obj):
    return "data: " + (obj if isinstance(obj, str) else json.dumps(obj)) + "\n\n"


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def plain(self, status, text):
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def chunk(self, text):
        payload = text.encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(payload), payload))
        self.wfile.flush()

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        record({"path": self.path, "auth": self.headers.get("Authorization"), "accept": self.headers.get("Accept"), "body": body})
        if KEY is not None and self.headers.get("Authorization") != "Bearer " + KEY:
            data = b'{"error":{"message":"invalid api key","type":"invalid_request_error"}}'
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        model = body["model"]
        if model == "http500":
            self.plain(500, "internal kaboom " + "x" * 1984)
            return
        words = body["messages"][-1]["content"].split(" ")
        served = model + "-served"
        usage = {"prompt_tokens": 7, "completion_tokens": len(words), "total_tokens": 7 + len(words)}
        if model == "split":
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            text = ": keep-alive comment\r\n\r\n"
            for i, w in enumerate(words):
                text += "id: %d\r\n" % i + event({"model": served, "choices": [{"index": 0, "delta": {"content": (" " if i else "") + w}}]}).replace("\n", "\r\n")
            # One event whose JSON spans two `data:` lines (joined with \n, still valid JSON).
            text += 'data: {"model": "%s", "choices": [],\r\ndata: "usage": %s}\r\n\r\n' % (served, json.dumps(usage))
            text += "data: [DONE]\r\n\r\n"
            raw = text.encode()
            for i in range(0, len(raw), 7):
                self.wfile.write(raw[i:i + 7])
                self.wfile.flush()
                time.sleep(0.002)
            self.close_connection = True
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if model == "empty":
            self.chunk(": nothing to say\n\n")
        elif model == "error-chunk":
            self.chunk(event({"model": served, "choices": [{"index": 0, "delta": {"content": "Partial"}}]}))
            self.chunk(event({"error": {"message": "model overloaded", "type": "server_error"}}))
        elif model == "slow":
            sent = 0
            try:
                deadline = time.time() + 120
                while time.time() < deadline:
                    self.chunk(event({"model": served, "choices": [{"index": 0, "delta": {"content": "tok%d " % sent}}]}))
                    sent += 1
                    time.sleep(0.2)
                self.chunk(event("[DONE]"))
                record({"event": "finished", "tokens": sent})
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
                record({"event": "disconnected", "tokens": sent})
                self.close_connection = True
                return
        elif model == "burst":
            for i in range(int(body.get("max_tokens", 100))):
                self.chunk(event({"model": served, "choices": [{"index": 0, "delta": {"content": "w%d " % i}}]}))
            self.chunk(event({"model": served, "choices": [], "usage": usage}))
            self.chunk(event("[DONE]"))
        else:
            for i, w in enumerate(words):
                self.chunk(event({"id": "c1", "model": served, "choices": [{"index": 0, "delta": {"content": (" " if i else "") + w}}]}))
                time.sleep(0.02)
            self.chunk(event({"id": "c1", "model": served, "choices": [], "usage": usage}))
            self.chunk(event("[DONE]"))
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def get_request(self):
        conn, addr = self.socket.accept()
        if TLS:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(TLS[0], TLS[1])
            # The handshake runs in the handler thread (first read), so a client
            # that rejects the certificate does not stall the accept loop.
            conn = ctx.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
        return conn, addr

    def handle_error(self, request, client_address):
        record({"event": "connection_error", "error": str(sys.exc_info()[1])})


srv = Server(("127.0.0.1", 0), H)
print(srv.server_address[1], flush=True)
srv.serve_forever()
