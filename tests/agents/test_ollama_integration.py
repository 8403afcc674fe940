"""The same agents over the real Ollama client path (ChatOllama over HTTP), against the
project's Ollama-protocol test server backed by a scripted model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from springlet import load_workspace
from springlet.testing import OllamaTestServer, Reply, ScriptedChatModel, ToolCall

pytestmark = pytest.mark.integration

TOOLS = '''
from springlet import tool


@tool
def get_order_status(order_id: str) -> str:
    """Look up the shipping status of an order by its id."""
    return f"Order {order_id} is shipped."
'''


def write_workspace(root: Path, host: str, model: str, extra: str = "") -> None:
    (root / "agents").mkdir()
    (root / "tools").mkdir()
    (root / "tools" / "shop.py").write_text(TOOLS)
    (root / "springlet.yaml").write_text(f"ollama:\n  host: {host}\n")
    (root / "agents" / "a.yaml").write_text(
        f"name: a\ndescription: d\nmodel: ollama:{model}\ninstructions: You help.\n"
        "tools: [get_order_status]\n" + extra
    )


def test_tool_round_trip_over_http(tmp_path: Path) -> None:
    backend = ScriptedChatModel(
        steps=[ToolCall("get_order_status", {"order_id": "A-1"}), Reply("It has shipped.")]
    )
    with OllamaTestServer(backend) as server:
        model = next(iter(server.models))
        write_workspace(tmp_path, server.url, model)
        with load_workspace(tmp_path, tracing=False) as ws:
            events = list(ws.agent("a").stream("Where is A-1?"))
    result = events[-1].result  # type: ignore[attr-defined]
    assert result.status == "ok", result.error
    assert result.text == "It has shipped."
    assert result.model == f"ollama:{model}"
    assert [(c.name, c.result) for c in result.tool_calls] == [
        ("get_order_status", "Order A-1 is shipped.")
    ]
    chats = [r for r in server.requests if r.path == "/api/chat"]
    assert len(chats) == 2
    assert chats[0].body["tools"][0]["function"]["name"] == "get_order_status"
    assert chats[1].body["messages"][-1]["role"] == "tool"


def test_structured_answer_over_http(tmp_path: Path) -> None:
    backend = ScriptedChatModel(steps=[Reply(json.dumps({"status": "shipped"}))])
    with OllamaTestServer(backend) as server:
        model = next(iter(server.models))
        write_workspace(
            tmp_path,
            server.url,
            model,
            "output:\n  type: object\n  properties:\n    status: {type: string}\n"
            "  required: [status]\n",
        )
        with load_workspace(tmp_path, tracing=False) as ws:
            result = ws.agent("a").run("Where is A-1?")
    assert result.status == "ok", result.error
    assert result.output == {"status": "shipped"}
