"""Pilot fixtures: a small workspace of scripted agents, and the app over it."""

from __future__ import annotations

import asyncio
import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from springlet import Workspace, load_workspace
from springlet.testing import Reply, register_script, unregister_script

pytest.importorskip("textual")

from springlet.tui.app import SpringletApp
from springlet.tui.backend import Backend

TOOLS = '''
import time
from pathlib import Path

from springlet import tool

ORDERS = {"A-1001": "shipped", "A-1002": "processing"}


@tool
def get_order_status(order_id: str) -> str:
    """Look up the shipping status of an order by its id, like 'A-1001'."""
    if order_id not in ORDERS:
        raise KeyError(f"no order {order_id}")
    return f"Order {order_id} is {ORDERS[order_id]}."


@tool(timeout_s=10)
def wait_for_file(path: str) -> str:
    """Wait (at most 5 s) until the file at `path` exists: lets a test pause a run."""
    deadline = time.monotonic() + 5
    while not Path(path).exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    return "the file is there"


@tool(requires_approval=True)
def refund_order(order_id: str, amount: float) -> str:
    """Refund an order."""
    return f"Refunded {amount:.2f} on {order_id}."
'''

AGENT = """\
name: shop
description: Answers questions about orders.
model: scripted:{script}
instructions: You help.
tools: [get_order_status, refund_order, wait_for_file]
advisors:
  - memory: {{window: 20}}
"""

ECHO_AGENT = """\
name: echo
description: Says what it is told.
model: scripted:echo-everything
instructions: Repeat.
"""

MakeApp = Callable[..., SpringletApp]


@pytest.fixture
def script_name() -> Iterator[str]:
    name = f"tui{uuid.uuid4().hex[:8]}"
    yield name
    unregister_script(name)


def write_workspace(root: Path, script: str, settings: str = "", agent: str = AGENT) -> Path:
    (root / "agents").mkdir(parents=True, exist_ok=True)
    (root / "tools").mkdir(exist_ok=True)
    (root / "tools" / "shop.py").write_text(TOOLS)
    (root / "agents" / "shop.yaml").write_text(agent.format(script=script))
    (root / "agents" / "echo.yaml").write_text(ECHO_AGENT)
    if settings:
        (root / "springlet.yaml").write_text(textwrap.dedent(settings))
    return root


@pytest.fixture
def make_app(tmp_path: Path, script_name: str) -> Iterator[MakeApp]:
    """`make_app(script, settings="")` -> the app over a workspace whose agent `shop`
    follows `script` (a list of steps or a respond function)."""
    opened: list[Workspace] = []

    def make(
        script: object, settings: str = "", agent: str = AGENT, *, tracing: bool = False
    ) -> SpringletApp:
        register_script(script_name, script)  # type: ignore[arg-type]
        register_script("echo-everything", echo)
        root = write_workspace(tmp_path / "ws", script_name, settings, agent)
        ws = load_workspace(root, tracing=tracing)
        assert [str(p) for p in ws.problems] == []
        opened.append(ws)
        return SpringletApp(Backend(ws), agent="shop", local_clipboard=False)

    yield make
    unregister_script("echo-everything")
    for ws in opened:
        ws.close()


def echo(messages: list[Any], tools: list[Any]) -> Reply:
    return Reply(f"echo: {messages[-1].content}")


async def wait_until(pilot: object, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    """Let the app run until `predicate()` holds (runs happen on another thread)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("timed out waiting for the app")
        await pilot.pause(0.02)  # type: ignore[attr-defined]
