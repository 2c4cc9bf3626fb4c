"""Notebook steps: a real Jupyter kernel driven by nbclient, cell by cell.

Parameters are injected papermill-style: a new cell tagged
`injected-parameters` right after the cell tagged `parameters`, else first.
One `progress` per executed code cell of the notebook (`cell n/N`; the injected
parameters cell is not counted); what a cell prints (stream outputs) goes to
the step's log as the cell finishes. The executed notebook is written to
`<name>.ipynb` (the notebook file's name, else `notebook.ipynb`) and declared
as an artifact of that name — also when a cell fails (then up to and including
the failing cell, with its error output). The Jupyter kernel is reached over
IPC (unix sockets in a private temp dir), not TCP on localhost.
The result is what the notebook gave `mcpk.result(...)`, else the last
cell's `execute_result` (text/plain or application/json).
"""
import json
import os
import sys
import tempfile

import mcpk

DEFAULT_OUTPUT_NAME = "notebook.ipynb"
CELL_TIMEOUT_S = None  # the kernel's wall-clock timeout bounds the step


def _parameters_source(inputs):
    lines = ["# Parameters injected by MCP Kernel"]
    for key, value in inputs.items():
        if key.isidentifier():
            lines.append(f"{key} = json.loads({json.dumps(json.dumps(value))})")
    return "import json\n" + "\n".join(lines)


def _last_value(nb):
    for cell in reversed(nb.cells):
        if cell.cell_type != "code":
            continue
        for out in reversed(cell.get("outputs", [])):
            if out.get("output_type") == "execute_result":
                data = out.get("data", {})
                if "application/json" in data:
                    return data["application/json"]
                if "text/plain" in data:
                    return data["text/plain"]
        if cell.get("outputs"):
            return None
    return None


def _cell_source(cell):
    src = cell.get("source", cell.get("content", cell.get("code", "")))
    return "".join(src) if isinstance(src, list) else str(src)


def _load(path):
    """notebook.json from the kernel: {"cells": [...]} (console cells), {"notebook": ipynb}, or
    {"notebook_file": NAME} (a notebookPathRef the kernel read, validated and wrote next to it);
    or an .ipynb."""
    import nbformat

    if not path.endswith(".json"):
        return nbformat.read(path, as_version=4)
    with open(path) as f:
        spec = json.load(f)
    if "notebook_file" in spec:
        name = spec["notebook_file"]
        if not isinstance(name, str) or name.startswith("/") or ".." in name.split("/"):
            raise ValueError("notebook_file must be a relative path inside the work dir")
        with open(os.path.join(os.path.dirname(os.path.abspath(path)), name), encoding="utf-8") as nf:
            return nbformat.reads(nf.read(), as_version=4)
    if "notebook" in spec:
        doc = spec["notebook"]
        text = doc if isinstance(doc, str) else json.dumps(doc)
        return nbformat.reads(text, as_version=4)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for c in spec.get("cells", []):
        kind = c.get("cell_type", c.get("type", "code"))
        if kind == "markdown":
            cell = nbformat.v4.new_markdown_cell(_cell_source(c))
        else:
            cell = nbformat.v4.new_code_cell(_cell_source(c))
        tags = c.get("tags") or c.get("metadata", {}).get("tags") or []
        if tags:
            cell.metadata["tags"] = list(tags)
        nb.cells.append(cell)
    return nb


def _output_name(spec):
    """`<name>.ipynb`: the referenced notebook file's name (`name`), else notebook.ipynb."""
    name = spec.get("name") if isinstance(spec, dict) else None
    if not isinstance(name, str) or not name:
        return DEFAULT_OUTPUT_NAME
    stem = os.path.basename(name)
    if stem.endswith(".ipynb"):
        stem = stem[: -len(".ipynb")]
    return (stem or "notebook") + ".ipynb"


def _echo_streams(cell):
    """What the cell printed, to the step's stdout/stderr (the run log)."""
    for out in cell.get("outputs", []):
        if out.get("output_type") != "stream":
            continue
        text = out.get("text", "")
        text = "".join(text) if isinstance(text, list) else str(text)
        stream = sys.stderr if out.get("name") == "stderr" else sys.stdout
        stream.write(text if text.endswith("\n") or not text else text + "\n")
        stream.flush()


def run(path):
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = _load(path)
    with open(path) as f:
        spec = json.load(f) if path.endswith(".json") else {}
    inputs = dict(spec.get("parameters") or {})   # component defaults, step inputs over them
    step_inputs = mcpk.inputs()
    if isinstance(step_inputs, dict):
        inputs.update(step_inputs)
    kernel_name = spec.get("kernel") or "python3"
    if isinstance(inputs, dict) and inputs:
        cell = nbformat.v4.new_code_cell(_parameters_source(inputs))
        cell.metadata["tags"] = ["injected-parameters"]
        index = 0
        for i, c in enumerate(nb.cells):
            if "parameters" in c.get("metadata", {}).get("tags", []):
                index = i + 1
                break
        nb.cells.insert(index, cell)

    from jupyter_client.manager import KernelManager

    # IPC (unix sockets) instead of TCP on localhost: nothing listens on a port, and
    # jupyter_client has no "connecting over TCP without encryption" warning to print.
    ipc_dir = tempfile.mkdtemp(prefix="mcpk-nb-")
    km = KernelManager(kernel_name=kernel_name, transport="ipc", ip=os.path.join(ipc_dir, "kernel"))
    client = NotebookClient(nb, km=km, timeout=CELL_TIMEOUT_S, kernel_name=kernel_name, allow_errors=False,
                            resources={"metadata": {"path": os.getcwd()}})
    out_path = os.path.join(os.getcwd(), _output_name(spec))
    code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    counted = [i for i in code_cells if "injected-parameters" not in nb.cells[i].get("metadata", {}).get("tags", [])]
    failure = None
    # The Jupyter kernel inherits the channel fds so mcpk.* works inside the notebook.
    with client.setup_kernel(pass_fds=(3, 4)):
        for index in code_cells:
            try:
                client.execute_cell(nb.cells[index], index)
            except CellExecutionError as e:
                _echo_streams(nb.cells[index])
                failure = (index, e)
                break
            _echo_streams(nb.cells[index])
            if index in counted:
                n = counted.index(index) + 1
                mcpk.progress(n / len(counted), f"cell {n}/{len(counted)}")
    if failure is not None:
        # Keep the notebook up to the failing cell.
        nb.cells = nb.cells[: failure[0] + 1]
    nbformat.validate(nb)
    nbformat.write(nb, out_path)
    mcpk.artifact(os.path.basename(out_path), out_path, "application/x-ipynb+json")
    if failure is not None:
        index, e = failure
        mcpk._send({"type": "error", "message": f"cell {index + 1} failed:\n{e}"})
        sys.stdout.flush()
        os._exit(1)
    # A fallback result: the kernel keeps a result the notebook itself sent with mcpk.result().
    mcpk._send({"type": "result", "value": _last_value(nb), "fallback": True})
