"""The step side of the MCP Kernel step channel.

A sandboxed step talks to the kernel through two inherited file descriptors:
fd 3 (step -> kernel, one JSON object per line) and fd 4 (kernel -> step
answers to queries). Credentials never enter the sandbox: `query` asks the
kernel to run SQL on a connection the component declares.

    import mcpk
    mcpk.progress(0.5, "half way")
    rows = mcpk.query("warehouse", "select * from t where id = $1", [42])
    mcpk.artifact("report", "report.csv", "text/csv")
    mcpk.result({"rows": len(rows)})
"""
import io
import json
import os
import sys
import threading

__all__ = ["log", "progress", "result", "result_preview", "artifact", "query", "inputs", "QueryError"]

_lock = threading.Lock()
_out = None
_answers = None
_next_id = 0
_result_sent = False

# A result whose JSON text is longer than this goes through a file in the work dir instead of
# one huge channel line (the kernel's ValueLimits.inlineBytes; MCPK_INLINE_RESULT_BYTES overrides).
INLINE_RESULT_BYTES = int(os.environ.get("MCPK_INLINE_RESULT_BYTES", str(256 * 1024)))
RESULT_FILE = ".mcpk-result.json"
_WRITE_CHUNK = 1 << 20


class QueryError(Exception):
    """A query the kernel refused or that failed; `kind` is the kernel error kind."""

    def __init__(self, kind, message):
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message


def _channel():
    global _out
    if _out is None:
        fd = int(os.environ.get("MCPK_CHANNEL_FD", "3"))
        try:
            _out = os.fdopen(fd, "wb", buffering=0, closefd=False)
        except OSError:
            _out = sys.stderr.buffer
    return _out


def _send(message):
    _flush_printed()
    _send_raw(json.dumps(message, default=str, separators=(",", ":")) + "\n")


def _flush_printed():
    # What the step printed before this message must reach the kernel first, so the log keeps this order.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass


def _send_raw(line):
    data = line.encode()
    with _lock:
        out = _channel()
        view = memoryview(data)
        while view:
            n = out.write(view)
            view = view[n:]


class _ChannelStdout(io.TextIOBase):
    """A step's `sys.stdout`: each printed line goes to the run log as a channel message, so
    it keeps its order with `progress` and the other messages (the stdout pipe and the
    channel are read separately by the kernel). Output written to fd 1 directly (a
    subprocess, C code) still goes through the stdout pipe."""

    # Past the kernel's log cap (SandboxLimits.maxLogBytes) the rest goes to the stdout pipe,
    # where the kernel drains and drops it: a flood of output never fills the channel.
    CHANNEL_LOG_BYTES = 4 * 1024 * 1024

    def __init__(self, fallback):
        super().__init__()
        self._fallback = fallback
        self._pending = ""
        self._sent = 0

    def writable(self):
        return True

    @property
    def encoding(self):
        return "utf-8"

    def fileno(self):
        return self._fallback.fileno()

    def isatty(self):
        return False

    def write(self, text):
        text = str(text)
        if self._sent > self.CHANNEL_LOG_BYTES:
            self._fallback.write(text)
            return len(text)
        self._pending += text
        while "\n" in self._pending:
            line, self._pending = self._pending.split("\n", 1)
            self._line(line)
        return len(text)

    def _line(self, line):
        self._sent += len(line) + 1
        _send({"type": "log", "stream": "stdout", "message": line})

    def flush(self):
        if self._pending:
            line, self._pending = self._pending, ""
            self._line(line)
        if self._sent > self.CHANNEL_LOG_BYTES:
            self._fallback.flush()


def route_stdout_through_channel():
    """Called by the runner before the step's code runs."""
    if not isinstance(sys.stdout, _ChannelStdout):
        sys.stdout = _ChannelStdout(sys.stdout)


def log(*parts, stream="step"):
    """A log line (shown with the run's events)."""
    _send({"type": "log", "stream": stream, "message": " ".join(str(p) for p in parts)})


def progress(fraction, message=None):
    """Progress between 0 and 1, with an optional message."""
    _send({"type": "progress", "fraction": float(fraction), "message": message})


def result_preview(value):
    """A partial result the console can show before the step ends."""
    _send({"type": "result_preview", "value": value})


def result(value):
    """The step's result (JSON-serialisable). The last call wins.

    A large result is written to `.mcpk-result.json` in the work dir and the kernel is told
    the file's name; the kernel stores it once (a blob) and dependants get the real value.
    """
    global _result_sent
    text = json.dumps(value, separators=(",", ":"))  # fails here, in the step, if not serialisable
    _result_sent = True
    if len(text) > INLINE_RESULT_BYTES:
        path = os.path.join(os.environ.get("MCPK_WORK_DIR", "."), RESULT_FILE)
        with open(path, "w", encoding="utf-8") as f:
            for i in range(0, len(text), _WRITE_CHUNK):
                f.write(text[i:i + _WRITE_CHUNK])
        del text
        _send({"type": "result", "file": RESULT_FILE})
        return
    _flush_printed()
    _send_raw('{"type":"result","value":' + text + "}\n")


def result_was_sent():
    return _result_sent


def artifact(name, path, mime=None):
    """Declares a file in the work dir as a named artifact of the run."""
    if mime is None:
        import mimetypes  # only here: imported lazily, it costs every step's start-up otherwise

        mime = mimetypes.guess_type(path)[0] or "application/octet-stream"
    _send({"type": "artifact", "name": name, "path": str(path), "mime": mime})


def query(connection, sql, params=None, max_rows=None):
    """Runs SQL on a declared connection through the kernel; returns its result."""
    global _answers, _next_id
    with _lock:
        _next_id += 1
        qid = _next_id
    message = {"type": "query", "id": qid, "connection": connection, "sql": sql, "params": params or []}
    if max_rows is not None:
        message["max_rows"] = int(max_rows)
    _send(message)
    if _answers is None:
        fd = int(os.environ.get("MCPK_ANSWER_FD", "4"))
        _answers = os.fdopen(fd, "rb", buffering=0, closefd=False)
    while True:
        line = _readline(_answers)
        if not line:
            raise QueryError("unavailable", "the kernel closed the answer channel")
        answer = json.loads(line)
        if answer.get("id") != qid:
            continue
        if answer.get("ok"):
            return answer.get("result")
        err = answer.get("error") or {}
        raise QueryError(err.get("kind", "internal"), err.get("message", "query failed"))


def _readline(f):
    buf = bytearray()
    while True:
        b = f.read(1)
        if not b:
            return bytes(buf)
        if b == b"\n":
            return bytes(buf)
        buf += b


def inputs():
    """The step's inputs (inputs.json in the work dir)."""
    path = os.path.join(os.environ.get("MCPK_WORK_DIR", "."), "inputs.json")
    with open(path) as f:
        return json.load(f)
