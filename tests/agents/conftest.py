"""A small workspace of scripted agents: each test registers the script its agent follows."""

from __future__ import annotations

import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from springlet import Workspace, load_workspace
from springlet.testing import register_script, unregister_script

TOOLS = '''
import time
from springlet import tool

ORDERS = {"A-1001": "shipped", "A-1002": "processing"}


@tool
def get_order_status(order_id: str) -> str:
    """Look up the shipping status of an order by its id, like 'A-1001'."""
    if order_id not in ORDERS:
        raise KeyError(f"no order {order_id}")
    return f"Order {order_id} is {ORDERS[order_id]}."


@tool(timeout_s=0.2)
def slow_lookup(key: str) -> str:
    """A lookup that takes too long."""
    time.sleep(2)
    return key


@tool(requires_approval=True)
def refund_order(order_id: str, amount: float) -> str:
    """Refund an order."""
    return f"Refunded {amount:.2f} on {order_id}."
'''

MakeWorkspace = Callable[..., Workspace]


@pytest.fixture
def script_name() -> Iterator[str]:
    name = f"t{uuid.uuid4().hex[:8]}"
    yield name
    unregister_script(name)


@pytest.fixture
def make_workspace(tmp_path: Path, script_name: str) -> Iterator[MakeWorkspace]:
    """`make_workspace(script, agent_yaml_extra, other_files)` -> a loaded Workspace whose
    agent `a` runs on `scripted:<script_name>`."""
    opened: list[Workspace] = []

    def make(
        script: object,
        extra: str = "",
        files: dict[str, str] | None = None,
    ) -> Workspace:
        register_script(script_name, script)  # type: ignore[arg-type]
        root = tmp_path / "ws"
        (root / "agents").mkdir(parents=True, exist_ok=True)
        (root / "tools").mkdir(exist_ok=True)
        (root / "tools" / "shop.py").write_text(TOOLS)
        agent = (
            f"name: a\ndescription: Test agent.\nmodel: scripted:{script_name}\n"
            "instructions: You help. Today is {{ today }}.\n"
        ) + textwrap.dedent(extra)
        (root / "agents" / "a.yaml").write_text(agent)
        for rel, text in (files or {}).items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).replace("SCRIPT", script_name))
        ws = load_workspace(root, tracing=False)
        assert [str(p) for p in ws.problems] == []
        opened.append(ws)
        return ws

    yield make
    for ws in opened:
        ws.close()
