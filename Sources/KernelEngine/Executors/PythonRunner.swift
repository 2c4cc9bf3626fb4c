/// The small Python program that runs a `Python Script` step: imports the component's
/// `main.py`, calls `main(**inputs)` and reports on fd 3 (JSON lines). The `mcpk` helper
/// module it installs gives step code `mcpk.progress`, `mcpk.log`, `mcpk.result_preview`
/// and `mcpk.artifact`.
enum PythonRunner {
    static let fileName = "_mcpk_runner.py"

    static let source = #"""
import importlib.util, json, os, sys, traceback, types

_chan = os.fdopen(3, "w", buffering=1, encoding="utf-8")

def _send(obj):
    _chan.write(json.dumps(obj, default=str) + "\n")
    _chan.flush()

mcpk = types.ModuleType("mcpk")
def _progress(fraction=None, message=None):
    _send({"type": "progress", "fraction": fraction, "message": message})
def _log(message):
    _send({"type": "log", "message": str(message)})
def _result_preview(value):
    _send({"type": "result_preview", "value": value})
def _artifact(name, path, mime="application/octet-stream"):
    _send({"type": "artifact", "name": name, "path": os.path.abspath(path), "mime": mime})
mcpk.progress = _progress
mcpk.log = _log
mcpk.result_preview = _result_preview
mcpk.artifact = _artifact
sys.modules["mcpk"] = mcpk

def _run():
    with open("inputs.json", encoding="utf-8") as f:
        inputs = json.load(f)
    spec = importlib.util.spec_from_file_location("main", os.path.abspath("main.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules["main"] = module
    spec.loader.exec_module(module)
    fn = getattr(module, "main", None)
    if fn is None:
        raise RuntimeError("the script defines no main(**inputs) function")
    result = fn(**inputs) if isinstance(inputs, dict) else fn(inputs)
    try:
        text = json.dumps({"type": "result", "value": result})
    except (TypeError, ValueError) as e:
        raise RuntimeError("main() returned a value that is not JSON-serialisable: %s" % e)
    _chan.write(text + "\n")
    _chan.flush()

try:
    _run()
except SystemExit:
    raise
except BaseException:
    tb = traceback.format_exc()
    sys.stderr.write(tb)
    sys.stderr.flush()
    _send({"type": "error", "message": tb})
    sys.exit(1)
"""#
}
