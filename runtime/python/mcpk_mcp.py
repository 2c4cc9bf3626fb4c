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


def _content_to_json(block):
    if hasattr(block, "model_dump"):
        return block.model_dump(mode="json", exclude_none=True)
    return block


async def _call(config, arguments):
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp"),
           "LANG": os.environ.get("LANG", "C.UTF-8"), "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
    env.update({str(k): str(v) for k, v in (config.get("env") or {}).items()})
    params = StdioServerParameters(command=config["command"], args=[str(a) for a in config.get("args") or []],
                                   env=env, cwd=config.get("cwd") or os.getcwd())
    async with stdio_client(params, errlog=sys.stderr) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            mcpk.log(f"initialized MCP server {init.serverInfo.name} {init.serverInfo.version} "
                     f"(protocol {init.protocolVersion})")
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
            structured = getattr(res, "structuredContent", None)
            if res.isError:
                text = "\n".join(c.get("text", "") for c in content if isinstance(c, dict))
                raise RuntimeError(f"tool {tool} failed: {text}")
            return {"tool": tool, "content": content, "structuredContent": structured}


def run(path):
    with open(path) as f:
        config = json.load(f)
    arguments = mcpk.inputs()
    if not isinstance(arguments, dict):
        arguments = {"input": arguments}
    try:
        value = asyncio.run(_call(config, arguments))
    except BaseException as e:  # noqa: BLE001 - every failure fails the step with its text
        import traceback
        if isinstance(e, BaseExceptionGroup):
            text = "\n".join(traceback.format_exception(e))
        else:
            text = traceback.format_exc()
        mcpk._send({"type": "error", "message": text})
        sys.stdout.flush()
        os._exit(1)
    mcpk.progress(1.0, "done")
    mcpk.result(value)
