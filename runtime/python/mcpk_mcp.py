"""MCP steps: start the server from `mcpConfiguration` over stdio (inside the
same sandbox), perform the MCP initialize handshake, list the tools, call
`tool` with the step inputs and return the tool result. A tool error
(`isError`) or an unknown tool fails the step.

mcp.json (written by the kernel's MCP executor):
    {"command": "...", "args": [...], "env": {...}, "tool": "name", "cwd": "..."}
"""
import asyncio
import json
import os
import sys

import mcpk


def _field(obj, snake, camel):
    """mcp 2.x uses snake_case attributes, 1.x camelCase."""
    return getattr(obj, snake, None) if hasattr(obj, snake) else getattr(obj, camel, None)


def _content_to_json(block):
    if hasattr(block, "model_dump"):
        return block.model_dump(mode="json", exclude_none=True)
    return block


def _parse(text):
    """The console stores mcpConfiguration as JSON or YAML text."""
    try:
        return json.loads(text)
    except ValueError:
        import yaml
        return yaml.safe_load(text)


def _server(config):
    server = config.get("server", config)
    if isinstance(server, str):
        server = _parse(server)
    if "mcpServers" in server:  # {"mcpServers": {name: {command, args, env}}}: the first server
        servers = server["mcpServers"]
        if not servers:
            raise ValueError("mcpConfiguration.mcpServers is empty")
        server = next(iter(servers.values()))
    if not server.get("command"):
        raise ValueError("mcpConfiguration needs a command")
    return server


async def _call(config, arguments):
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    # The runtime interpreter's bin dir first: "python3" in a server command is the runtime venv.
    env = {"PATH": os.path.dirname(sys.executable) + ":" + os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp"),
           "LANG": os.environ.get("LANG", "C.UTF-8"), "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
    server = _server(config)
    env.update({str(k): str(v) for k, v in (server.get("env") or {}).items()})
    params = StdioServerParameters(command=server["command"], args=[str(a) for a in server.get("args") or []],
                                   env=env, cwd=server.get("cwd") or os.getcwd())
    async with stdio_client(params, errlog=sys.stderr) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            info = _field(init, "server_info", "serverInfo")
            mcpk.log(f"initialized MCP server {info.name} {info.version} "
                     f"(protocol {_field(init, 'protocol_version', 'protocolVersion')})")
            mcpk.progress(0.3, "initialized")
            tools = await session.list_tools()
            names = [t.name for t in tools.tools]
            mcpk.result_preview({"tools": names})
            tool = config.get("tool")
            if tool not in names:
                raise LookupError(f"tool {tool!r} not offered by the server (tools: {', '.join(names)})")
            mcpk.progress(0.6, f"calling {tool}")
            res = await session.call_tool(tool, arguments)
            content = [_content_to_json(c) for c in res.content]
            structured = _field(res, "structured_content", "structuredContent")
            if _field(res, "is_error", "isError"):
                text = "\n".join(c.get("text", "") for c in content if isinstance(c, dict))
                raise RuntimeError(f"tool {tool} failed: {text}")
            return {"tool": tool, "content": content, "structuredContent": structured}


def run(path):
    with open(path) as f:
        config = json.load(f)
    inputs = mcpk.inputs()
    if not isinstance(inputs, dict):
        inputs = {"input": inputs}
    arguments = dict(config.get("arguments") or {})   # component defaults, step inputs over them
    arguments.update(inputs)
    try:
        value = asyncio.run(_call(config, arguments))
    except BaseException as e:  # noqa: BLE001 - every failure fails the step with its text
        import traceback

        def leaves(x):
            if isinstance(x, BaseExceptionGroup):
                for inner in x.exceptions:
                    yield from leaves(inner)
            else:
                yield x

        causes = [x for x in leaves(e)]
        head = "\n".join(f"{type(x).__name__}: {x}" for x in causes)
        text = head + "\n\n" + "".join(traceback.format_exception(causes[-1] if causes else e))
        mcpk._send({"type": "error", "message": text})
        sys.stdout.flush()
        os._exit(1)
    mcpk.progress(1.0, "done")
    mcpk.result(value)
