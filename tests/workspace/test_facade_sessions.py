"""ws.sessions on real parts: an agent with the memory advisor on the scripted model,
LangGraph's SQLite checkpoints, the real trace store and a real knowledge collection."""

from __future__ import annotations

import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from springlet import NotFoundError, Workspace, load_workspace
from springlet.testing import Reply, ToolCall, register_script, unregister_script
from springlet.workspace import SessionInfo, Transcript

TOOLS = '''
from springlet import tool


@tool
def get_order_status(order_id: str) -> str:
    """Look up an order's status by its id."""
    if order_id != "A-1001":
        raise KeyError(f"no order {order_id}")
    return f"Order {order_id} has shipped."
'''

AGENT = """
name: helper
description: Remembers.
model: scripted:{script}
instructions: You help.
tools: [get_order_status]
knowledge:
  - collection: manual
    top_k: 1
advisors:
  - memory: {{}}
"""

FILES = {
    "knowledge/manual.yaml": "name: manual\nsources:\n  - path: knowledge/manual/\n"
    "embeddings: scripted:words\n",
    "knowledge/manual/reset.md": "# Reset\n\nHold the power button for ten seconds.\n",
}


def respond(messages: list[Any], tools: Any) -> Any:
    last = messages[-1]
    if last.type == "tool":
        return Reply(f"Done: {last.content}")
    text = str(last.content)
    if "order" in text and "bad" in text:
        return ToolCall("get_order_status", {"order_id": "Z-9"})
    if "order" in text:
        return ToolCall("get_order_status", {"order_id": "A-1001"})
    return Reply(f"You said: {text}")


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    script = f"s{uuid.uuid4().hex[:8]}"
    register_script(script, respond)
    root = tmp_path / "ws"
    for rel, text in {
        "agents/helper.yaml": AGENT.format(script=script),
        "tools/shop.py": TOOLS,
        **FILES,
    }.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(textwrap.dedent(text))
    workspace = load_workspace(root)
    assert [str(p) for p in workspace.problems] == []
    workspace.knowledge.ingest("manual")
    yield workspace
    workspace.close()
    unregister_script(script)


def talk(ws: Workspace, session: str, *messages: str) -> None:
    for message in messages:
        assert ws.agent("helper").run(message, session_id=session).status == "ok"
    assert ws.tracer().flush()


def test_list_is_newest_first_with_agent_title_and_turns(ws: Workspace) -> None:
    assert ws.sessions.list() == []
    talk(ws, "first", "Hello there, how do I reset the power button of my kettle please?")
    talk(ws, "second", "hi", "and again")
    listed = ws.sessions.list()
    assert [s.id for s in listed] == ["second", "first"]
    second, first = listed
    assert isinstance(second, SessionInfo)
    assert (second.agent, second.title, second.turns) == ("helper", "hi", 2)
    assert len(first.title) <= 60 and first.title.endswith("…")
    assert first.created_at is not None and second.updated_at is not None
    assert second.updated_at >= first.updated_at
    assert ws.sessions.list(agent="helper") == listed
    assert ws.sessions.list(agent="nobody") == []


def test_transcript_pairs_tool_calls_with_results_and_carries_sources(ws: Workspace) -> None:
    talk(ws, "s", "where is my order?", "a bad order", "how do I reset the power button?")
    transcript = ws.sessions.transcript("s")
    assert isinstance(transcript, Transcript)
    assert transcript.agent == "helper"
    roles = [e.role for e in transcript.entries]
    assert roles == ["user", "assistant", "assistant"] * 2 + ["user", "assistant"]
    calling = transcript.entries[1]
    [call] = calling.tool_calls
    assert (call.name, call.arguments, call.status) == (
        "get_order_status",
        {"order_id": "A-1001"},
        "ok",
    )
    assert call.result == "Order A-1001 has shipped."
    assert call.duration_ms is not None and call.duration_ms >= 0
    [failed] = transcript.entries[4].tool_calls
    assert failed.status == "failed" and "Z-9" in (failed.result or "")
    runs = {e.run_id for e in transcript.entries}
    assert None not in runs and len(runs) == 3
    last = transcript.entries[-1]
    assert [s["path"] for s in last.sources] == ["knowledge/manual/reset.md"]


def test_rename_search_and_delete(ws: Workspace) -> None:
    talk(ws, "keep", "talk about kettles")
    talk(ws, "drop", "talk about teapots")
    ws.sessions.rename("keep", "Kettle chat")
    assert ws.sessions.get("keep").title == "Kettle chat"
    assert [s.id for s in ws.sessions.search("KETTLE")] == ["keep"]
    assert [s.id for s in ws.sessions.search("you said: talk about teapots")] == ["drop"]
    ws.sessions.delete("drop")
    assert [s.id for s in ws.sessions.list()] == ["keep"]
    with pytest.raises(NotFoundError, match="no session 'drop'"):
        ws.sessions.transcript("drop")


def test_unknown_sessions_are_refused_with_a_hint(ws: Workspace) -> None:
    for call in (ws.sessions.transcript, ws.sessions.delete, ws.sessions.get):
        with pytest.raises(NotFoundError) as caught:
            call("nope")
        assert caught.value.hint
    with pytest.raises(NotFoundError):
        ws.sessions.rename("nope", "x")


def test_untraced_sessions_still_know_their_agent(ws: Workspace) -> None:
    with Workspace(ws.loaded, tracing=False) as quiet:
        assert quiet.agent("helper").run("psst", session_id="quiet").status == "ok"
        info = quiet.sessions.get("quiet")
        assert info.agent == "helper"  # from the name create_agent puts on its answers
        [_, answer] = quiet.sessions.transcript("quiet").entries
        assert answer.text == "You said: psst" and answer.run_id is None


async def test_async_twins(ws: Workspace) -> None:
    talk(ws, "a", "hello")
    assert [s.id for s in await ws.sessions.alist()] == ["a"]
    assert (await ws.sessions.atranscript("a")).entries[0].text == "hello"
