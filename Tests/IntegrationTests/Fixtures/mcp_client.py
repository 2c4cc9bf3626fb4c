"""Drives the kernel's MCP server with the official MCP Python SDK (issue 18).

usage: mcp_client.py http URL MODE TOOL SLOW_TOOL
       mcp_client.py stdio MCPK_BIN MODE TOOL SLOW_TOOL   (MCPK_HOME from the environment)
MODE is the SDK's connect mode: "auto" (server/discover → 2026-07-28) or "legacy" (initialize → 2025-11-25).
Prints one JSON object with what the client saw.
"""
import json
import os
import sys

import anyio
from mcp.client.client import Client
from mcp.client.stdio import StdioServerParameters


async def main(transport, target, mode, tool, slow_tool):
    if transport == "http":
        server = target
    else:
        server = StdioServerParameters(command=target, args=["mcp"], env={"MCPK_HOME": os.environ["MCPK_HOME"]})
    out = {}
    async with Client(server, mode=mode) as c:
        tools = await c.list_tools()
        out["tools"] = {t.name: {"description": t.description, "inputSchema": t.input_schema} for t in tools.tools}
        progress = []

        async def on_progress(p, total, message):
            progress.append([p, total, message])

        r = await c.call_tool(tool, {"who": "Ann"}, progress_callback=on_progress)
        out["call"] = {"isError": r.is_error, "structured": r.structured_content, "text": r.content[0].text}
        out["progress"] = progress
        bad = await c.call_tool(tool, {"who": 5})
        out["bad"] = {"isError": bad.is_error, "text": bad.content[0].text}
        if slow_tool != "-":
            started = anyio.Event()

            async def on_slow_progress(p, total, message):
                started.set()

            async with anyio.create_task_group() as tg:
                async def slow():
                    await c.call_tool(slow_tool, {}, progress_callback=on_slow_progress)
                tg.start_soon(slow)
                with anyio.fail_after(60):
                    await started.wait()
                tg.cancel_scope.cancel()
            out["cancelled"] = True
    print(json.dumps(out))


if __name__ == "__main__":
    anyio.run(main, *sys.argv[1:6])
