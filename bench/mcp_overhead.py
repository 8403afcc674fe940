"""What calling a tool through MCP costs per call, next to the same function as a local
springlet tool: stdio and Streamable HTTP, in one run.

The function is `stock of {sku}: 5` formatted from its argument: a springlet `@tool`
(local), and the same result served by springlet's MCP test server in a subprocess
(`python -m springlet.testing.mcp_server`) over stdio and over HTTP on 127.0.0.1. Each is
called as the agents' tool guard calls it: the LangChain tool's `ainvoke`, on the runtime
loop (for MCP: argument check against the schema, the SDK's request, the answer's text).

Interleaved rounds (local, stdio, HTTP, local, ...) of N calls each; printed: median and
min-max microseconds per call, and the paired ratios MCP / local.

    .venv/bin/python bench/mcp_overhead.py [--rounds 10] [--calls 300] [--protocol auto]

`--protocol auto` lets the SDK choose the protocol (2026-07-28 with these servers)
instead of springlet's initialize handshake (see springlet.tools.mcp_client).
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import springlet
from springlet import tool
from springlet._runtime import runtime_loop
from springlet.tools import mcp_client
from springlet.tools.mcp_spec import McpServerSpec
from springlet.tools.mcp_toolset import McpServers

SERVER_ARGS = ["-m", "springlet.testing.mcp_server", "--tool", "lookup=stock of {sku}: 5"]


@tool
def lookup(sku: str) -> str:
    """Stock of a product."""
    return f"stock of {sku}: 5"


async def per_call_us(built: Any, calls: int) -> float:
    start = time.perf_counter()
    for i in range(calls):
        await built.ainvoke({"sku": f"X-{i}"})
    return (time.perf_counter() - start) / calls * 1e6


def mcp_tool_of(servers: McpServers, name: str) -> Any:
    return servers.toolset(name).langchain_tools()[0]


def start_http_server() -> tuple[subprocess.Popen[str], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, *SERVER_ARGS, "--http", f"127.0.0.1:{port}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    url = (process.stdout.readline() if process.stdout else "").strip()
    if not url.startswith("http"):
        raise SystemExit("the HTTP MCP test server did not start")
    return process, url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--protocol", choices=["legacy", "auto"], default="legacy")
    args = parser.parse_args()
    mcp_client.PROTOCOL_MODE = args.protocol
    data = Path(tempfile.mkdtemp(prefix="springlet-mcp-bench-"))
    http_process, url = start_http_server()
    servers: McpServers | None = None
    try:
        source = str(Path(springlet.__file__).resolve().parents[1])  # for the server
        specs = {
            "stdio": McpServerSpec(
                command=sys.executable, args=SERVER_ARGS, env={"PYTHONPATH": source}
            ),
            "http": McpServerSpec(url=url),
        }
        servers = McpServers(specs, data, data)
        tools = {
            "local": lookup.as_langchain(),
            "mcp stdio": mcp_tool_of(servers, "stdio"),
            "mcp http": mcp_tool_of(servers, "http"),
        }
        times: dict[str, list[float]] = {name: [] for name in tools}
        for built in tools.values():  # warm-up: first calls, caches
            runtime_loop.run_sync(per_call_us(built, 20))
        for _ in range(args.rounds):
            for name, built in tools.items():
                times[name].append(runtime_loop.run_sync(per_call_us(built, args.calls)))
    finally:
        if servers is not None:
            servers.close()
        http_process.terminate()
        http_process.wait(timeout=10)
    print(f"{args.rounds} rounds x {args.calls} calls, per call:")
    for name, values in times.items():
        median, low, high = statistics.median(values), min(values), max(values)
        print(f"  {name:10} {median:8.1f} us ({low:.1f}-{high:.1f})")
    for name in ("mcp stdio", "mcp http"):
        ratios = [m / local for local, m in zip(times["local"], times[name], strict=True)]
        print(
            f"  {name} / local: {statistics.median(ratios):.1f}x "
            f"({min(ratios):.1f}-{max(ratios):.1f})"
        )


if __name__ == "__main__":
    main()
