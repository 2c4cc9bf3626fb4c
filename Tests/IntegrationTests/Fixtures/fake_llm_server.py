"""A local OpenAI-compatible chat server speaking the real streaming protocol
(chunked `text/event-stream`, `data:` chunks, `[DONE]`) for the LLM executor's live test.
It echoes the user prompt word by word and records each request to REQUEST_LOG."""
import http.server, json, os, sys, time

LOG = sys.argv[1]

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with open(LOG, "a") as f:
            f.write(json.dumps({"path": self.path, "auth": self.headers.get("Authorization"), "body": body}) + "\n")
        if self.headers.get("Authorization") != "Bearer sk-test-123":
            data = b'{"error":{"message":"bad key"}}'
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def chunk(obj):
            payload = ("data: " + (obj if isinstance(obj, str) else json.dumps(obj)) + "\n\n").encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(payload), payload))
            self.wfile.flush()

        words = body["messages"][-1]["content"].split(" ")
        for i, w in enumerate(words):
            chunk({"id": "c1", "model": body["model"] + "-served", "choices": [{"index": 0, "delta": {"content": (" " if i else "") + w}}]})
            time.sleep(0.02)
        chunk({"id": "c1", "model": body["model"] + "-served", "choices": [], "usage": {"prompt_tokens": 7, "completion_tokens": len(words), "total_tokens": 7 + len(words)}})
        chunk("[DONE]")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print(srv.server_address[1], flush=True)
srv.serve_forever()
