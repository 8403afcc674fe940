"""ws.traces on the real trace store, written by real (scripted-model) runs."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from springlet import NotFoundError, Workspace, load_workspace
from springlet.testing import Reply, ToolCall, register_script, unregister_script
from springlet.tracing import SpanKind, SpanStatus
from springlet.workspace import RunTree

TOOLS = '''
import time
from springlet import tool


@tool
def slow(key: str) -> str:
    """Takes a moment."""
    time.sleep(0.4)
    return key.upper()
'''


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    script = f"t{uuid.uuid4().hex[:8]}"

    def respond(messages: list, tools: object) -> object:
        last = messages[-1]
        if last.type == "tool":
            return Reply(f"got {last.content}")
        if "slow" in str(last.content):
            return ToolCall("slow", {"key": "k"})
        return Reply(f"echo {last.content}")

    register_script(script, respond)
    root = tmp_path / "ws"
    (root / "agents").mkdir(parents=True)
    (root / "tools").mkdir()
    (root / "tools" / "t.py").write_text(TOOLS)
    (root / "agents" / "a.yaml").write_text(
        f"name: a\ndescription: d\nmodel: scripted:{script}\ninstructions: i\ntools: [slow]\n"
    )
    workspace = load_workspace(root)
    yield workspace
    workspace.close()
    unregister_script(script)


def run(ws: Workspace, message: str) -> str:
    result = ws.agent("a").run(message)
    assert ws.tracer().flush()
    return result.run_id


def test_list_filters_by_agent_status_text_and_time(ws: Workspace) -> None:
    assert ws.traces.list() == []
    first, second = run(ws, "apples"), run(ws, "pears")
    assert [r.run_id for r in ws.traces.list()] == [second, first]
    assert [r.run_id for r in ws.traces.list(text="APPLE")] == [first]
    assert [r.run_id for r in ws.traces.list(status="ok", limit=1)] == [second]
    assert ws.traces.list(status="error") == []
    assert ws.traces.list(agent="other") == []
    assert ws.traces.list(since=datetime.now() + timedelta(hours=1)) == []


def test_get_gives_the_span_tree(ws: Workspace) -> None:
    run_id = run(ws, "slow please")
    tree = ws.traces.get(run_id[-12:])  # the short id works too
    assert isinstance(tree, RunTree)
    assert tree.root.span_id == run_id and tree.run.status is SpanStatus.OK
    kinds = [s.kind for s in tree.children(tree.root.span_id)]
    assert SpanKind.TOOL in kinds and SpanKind.MODEL in kinds
    with pytest.raises(NotFoundError):
        ws.traces.get("nothing-like-it")


def test_follow_yields_spans_while_the_run_records_them(ws: Workspace) -> None:
    run_id = run(ws, "warm up")  # the store exists; now follow a run as it happens
    agent = ws.agent("a")
    seen: list[tuple[str, SpanStatus]] = []
    holder: dict[str, str] = {}

    def start() -> None:
        holder["id"] = agent.run("slow please").run_id

    worker = threading.Thread(target=start)
    worker.start()
    for span in ws.traces.follow():
        seen.append((span.span_id, span.status))
        if span.kind is SpanKind.AGENT and span.span_id != run_id:
            break
    followed = list(ws.traces.follow(seen[-1][0]))
    worker.join()
    assert followed[-1].span_id == holder["id"] and followed[-1].finished
    assert any(s.kind is SpanKind.TOOL for s in followed)


async def test_afollow_ends_with_the_run(ws: Workspace) -> None:
    run_id = run(ws, "slow please")
    spans = [s async for s in ws.traces.afollow(run_id)]
    assert spans[-1].span_id == run_id and spans[-1].status is SpanStatus.OK


def test_export_json_and_finetune_to_text_or_file(ws: Workspace, tmp_path: Path) -> None:
    run_id = run(ws, "hello")
    document = json.loads(ws.traces.export(run_id, "json") or "")
    assert document["format"] == "springlet.traces"
    assert document["traces"][0]["run"]["run_id"] == run_id
    out = tmp_path / "ft.jsonl"
    assert ws.traces.export([run_id], "finetune", out) is None
    assert json.loads(out.read_text()) == {"prompt": "hello", "response": "echo hello"}
    with pytest.raises(NotFoundError):
        ws.traces.export("nope", "json")
    with pytest.raises(Exception, match="cannot write the export"):
        ws.traces.export(run_id, "json", tmp_path / "missing" / "x.json")


def test_get_keeps_spans_whose_parent_was_not_stored(ws: Workspace) -> None:
    """A retrieval made by the retrieval advisor hangs below an advisor step that keeps
    no span; the store's tree walk loses it, the facade shows it below the run."""
    root = ws.root
    (root / "knowledge").mkdir()
    (root / "docs").mkdir()
    (root / "docs" / "reset.md").write_text("# Reset\n\nHold the button.\n")
    (root / "knowledge" / "manual.yaml").write_text(
        "name: manual\nsources:\n  - path: docs/\nembeddings: scripted:words\n"
    )
    agent_file = root / "agents" / "a.yaml"
    agent_file.write_text(agent_file.read_text() + "knowledge:\n  - collection: manual\n")
    assert ws.reload().problems == ()
    ws.knowledge.ingest("manual")
    tree = ws.traces.get(run(ws, "how do I reset?"))
    kinds = [s.kind for s in tree.children(tree.root.span_id)]
    assert SpanKind.RETRIEVAL in kinds
