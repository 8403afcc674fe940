"""Fixtures for the local-model tests: a workspace whose agent runs on Ollama (the
project's Ollama-protocol test server) with one order tool, traced into memory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from springlet import Workspace, load_workspace
from springlet.models import ollama as ollama_provider
from springlet.models.ollama_catalog import forget_cached_models
from springlet.testing import OllamaTestServer, ScriptedChatModel
from springlet.tracing import MemorySink

TOOLS = '''
from springlet import tool


@tool
def get_orders(order_ids: list[str], note: str = "") -> str:
    """Look up the shipping status of orders by their ids."""
    return "; ".join(f"Order {o} is shipped" for o in order_ids)


@tool
def big_report(size: int) -> str:
    """A report of `size` bytes."""
    return "x" * size
'''

MakeWs = Callable[..., Workspace]


@pytest.fixture
def server() -> Iterator[OllamaTestServer]:
    forget_cached_models()
    ollama_provider.forget_tool_support()
    with OllamaTestServer(ScriptedChatModel(steps=[])) as running:
        yield running
    forget_cached_models()
    ollama_provider.forget_tool_support()


@pytest.fixture
def sink() -> MemorySink:
    return MemorySink()


@pytest.fixture
def make_ws(tmp_path: Path, server: OllamaTestServer, sink: MemorySink) -> Iterator[MakeWs]:
    """`make_ws(agent_extra, settings_extra, model=...)`: a loaded workspace with agent `a`."""
    opened: list[Workspace] = []

    def make(
        extra: str = "",
        settings_extra: str = "",
        model: str = "ollama:qwen2.5:7b",
        tools: str = "[get_orders]",
    ) -> Workspace:
        root = tmp_path / f"ws{len(opened)}"
        (root / "agents").mkdir(parents=True)
        (root / "tools").mkdir()
        (root / "tools" / "shop.py").write_text(TOOLS)
        (root / "springlet.yaml").write_text(f"ollama:\n  host: {server.url}\n" + settings_extra)
        (root / "agents" / "a.yaml").write_text(
            f"name: a\ndescription: d\nmodel: {model}\ninstructions: You help.\n"
            f"tools: {tools}\n" + extra
        )
        ws = load_workspace(root, tracing=sink)
        assert not ws.problems, ws.problems
        opened.append(ws)
        return ws

    yield make
    for ws in opened:
        ws.close()
