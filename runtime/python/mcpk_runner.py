"""Entry point of Python-based steps inside the sandbox.

    python mcpk_runner.py script  main.py        # Python Script: main(**inputs)
    python mcpk_runner.py notebook notebook.ipynb # Jupyter Notebook via nbclient
    python mcpk_runner.py mcp     mcp.json        # MCP: stdio server, initialize, tools/call

Every mode reports through the `mcpk` channel; an exception becomes an
`error` message carrying the traceback and a non-zero exit.
"""
import json
import os
import resource
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mcpk  # noqa: E402

KEEP_FDS = 5  # 0-2 stdio, 3 channel, 4 answers


def close_inherited_fds():
    """Nothing but stdio and the channel crosses into the step."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    os.closerange(KEEP_FDS, soft if soft != resource.RLIM_INFINITY else 65536)


def fail(message):
    mcpk._send({"type": "error", "message": message})
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(1)


# Code objects a warm runner compiled before it forked (path -> (source, code)).
_compiled = {}


def preload(args):
    """Called once by a warm runner (mcpk_warm.py) before it serves attempts:
    compiles the script and imports its top-level imports, so every fork starts
    with them loaded. A failure here is left for the attempt to report."""
    if len(args) >= 1 and args[0] == "notebook":
        # The client side of a notebook step (nbformat, nbclient, jupyter_client, zmq):
        # each fork starts its own kernel process, so no kernel state is shared.
        import mcpk_notebook  # noqa: F401

        for name in ("nbformat", "nbclient", "jupyter_client", "zmq"):
            try:
                __import__(name)
            except ImportError:
                pass
        return
    if len(args) < 2 or args[0] != "script":
        return
    path = args[1]
    try:
        with open(path) as f:
            source = f.read()
        code = compile(source, path, "exec")
    except (OSError, SyntaxError, ValueError):
        return
    _compiled[path] = (source, code)
    import ast
    import importlib

    try:
        tree = ast.parse(source, path)
    except (SyntaxError, ValueError):
        return
    for node in tree.body:
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            try:
                importlib.import_module(name)
            except BaseException:  # the attempt reports its own import errors
                pass


def run_script(path):
    inputs = mcpk.inputs()
    with open(path) as f:
        source = f.read()
    namespace = {"__name__": "__mcpk_step__", "__file__": path}
    try:
        cached = _compiled.get(path)
        code = cached[1] if cached and cached[0] == source else compile(source, path, "exec")
        exec(code, namespace)
        main = namespace.get("main")
        if not callable(main):
            fail("the script defines no main(**inputs) function")
        value = main(**inputs) if isinstance(inputs, dict) else main(inputs)
    except SystemExit as e:
        if e.code not in (None, 0):
            fail(f"the script exited with status {e.code}")
        return
    except BaseException:
        import traceback  # only on failure: its imports cost every cold start otherwise

        fail(traceback.format_exc())
    if value is not None or not mcpk.result_was_sent():
        try:
            mcpk.result(value)
        except (TypeError, ValueError) as e:
            fail(f"main() returned a value that is not JSON-serialisable: {e}")


def main():
    close_inherited_fds()
    if len(sys.argv) < 3:
        fail("usage: mcpk_runner.py script|notebook|mcp FILE")
    mode, path = sys.argv[1], sys.argv[2]
    if mode == "script":
        run_script(path)
    elif mode == "notebook":
        import mcpk_notebook
        mcpk_notebook.run(path)
    elif mode == "mcp":
        import mcpk_mcp
        mcpk_mcp.run(path)
    else:
        fail(f"unknown mode {mode}")
    sys.stdout.flush()
    sys.stderr.flush()


if __name__ == "__main__":
    main()
