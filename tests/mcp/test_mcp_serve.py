"""`springlet mcp serve` answers the official MCP client, over stdio and Streamable HTTP,
in a subprocess: tools, agents as ask_<agent>, prompts; approval tools stay hidden."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from .conftest import SRC

TOOLS = '''
from springlet import tool
from springlet.testing import register_script


def _echo(messages, tools):
    from springlet.testing import Reply

    return Reply("agent heard: " + messages[-1].content)


register_script("served-echo", _echo)  # the agent's model, in the server process


@tool
def get_order_status(order_id: str) -> str:
    """Look up the shipping status of an order by its id."""
    return f"Order {order_id} has shipped."


@tool(requires_approval=True)
def refund_order(order_id: str, amount: float) -> str:
    """Refund an order."""
    return "refunded"
'''

PROMPT = """
name: summarize
description: Summarize a text.
input:
  text: {type: string, description: The text}
  max_words: {type: integer, default: 80, minimum: 10}
messages:
  - role: system
    content: You write concise summaries.
  - role: user
    content: "In at most {{ max_words }} words: {{ text }}"
"""

AGENT = """
name: helper
description: Answers anything.
model: scripted:served-echo
instructions: You help.
tools: [get_order_status]
"""


@pytest.fixture
def served(write_workspace: Any) -> Path:
    return write_workspace(
        {"tools/shop.py": TOOLS, "prompts/summarize.yaml": PROMPT, "agents/helper.yaml": AGENT}
    )


def environment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": SRC, "SPRINGLET_TOOL_VETTING": "0"}


async def exercise(client: Client) -> dict[str, Any]:
    tools = {t.name: t for t in (await client.list_tools()).tools}
    status = await client.call_tool("get_order_status", {"order_id": "A-1"})
    asked = await client.call_tool("ask_helper", {"question": "hello?"})
    prompts = (await client.list_prompts()).prompts
    rendered = await client.get_prompt("summarize", {"text": "The cat sat.", "max_words": "12"})
    return {
        "tools": tools,
        "status": status.content[0].text,  # type: ignore[union-attr]
        "asked": asked.content[0].text,  # type: ignore[union-attr]
        "prompts": {p.name: [(a.name, a.required) for a in p.arguments or []] for p in prompts},
        "messages": [(m.role, m.content.text) for m in rendered.messages],  # type: ignore[union-attr]
    }


def check(answers: dict[str, Any]) -> None:
    tools = answers["tools"]
    assert set(tools) == {"get_order_status", "ask_helper"}  # refund_order needs approval
    assert tools["get_order_status"].input_schema["required"] == ["order_id"]
    assert answers["status"] == "Order A-1 has shipped."
    assert answers["asked"] == "agent heard: hello?"
    assert answers["prompts"] == {"summarize": [("text", True), ("max_words", False)]}
    assert answers["messages"] == [
        ("user", "You write concise summaries."),
        ("user", "In at most 12 words: The cat sat."),
    ]


def test_serve_over_stdio_answers_the_official_client(served: Path) -> None:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "springlet", "mcp", "serve", "-w", str(served)],
        env=environment(),
    )

    async def talk() -> dict[str, Any]:
        async with Client(params) as client:
            return await exercise(client)

    check(asyncio.run(asyncio.wait_for(talk(), 60)))


@pytest.fixture
def http_server(served: Path) -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "springlet", "mcp", "serve", "-w", str(served), "--http", str(port)],
        env=environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert process.poll() is None, process.stderr.read()  # type: ignore[union-attr]
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_serve_over_http_answers_the_official_client(http_server: str) -> None:
    async def talk() -> dict[str, Any]:
        async with Client(http_server) as client:
            return await exercise(client)

    check(asyncio.run(asyncio.wait_for(talk(), 60)))


def test_serve_exposes_approval_tools_only_when_told(served: Path) -> None:
    import springlet
    from springlet.mcp import WorkspaceMcpServer

    with springlet.load_workspace(served, tracing=False) as ws:
        assert "refund_order" not in WorkspaceMcpServer(ws).tools
        assert "refund_order" in WorkspaceMcpServer(ws, expose_approval_tools=True).tools


def test_a_bad_http_address_is_a_usage_error(served: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "springlet", "mcp", "serve", "-w", str(served), "--http", "x:y"],
        env=environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "--http takes [HOST:]PORT" in done.stderr
