"""The bugs the old structure caused, reproduced: a deadlock between building and running,
a step limit LangGraph cut short, forked workers that hung or overwrote each other's
spans, and a router that raised instead of returning a failed run."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from springlet import Workspace, load_workspace
from springlet.testing import Reply, ToolCall, register_script

MakeWorkspace = Callable[..., Workspace]

REMEMBERS = """
name: m
description: Remembers.
model: scripted:SCRIPT
instructions: You remember.
advisors:
  - memory: {window: 10}
"""


def test_building_with_memory_while_other_threads_run_never_deadlocks(
    make_workspace: MakeWorkspace, tmp_path: Path
) -> None:
    # the old reproduction: runs on the loop asked for their tracer under the workspace
    # lock while a thread building an agent with memory held it, waiting for the loop
    make_workspace(lambda messages, tools: Reply("hi"), files={"agents/m.yaml": REMEMBERS})
    for round_number in range(200):
        ws = load_workspace(tmp_path / "ws", tracing=False)
        ws.agent("a")
        done: list[str] = []

        def run(ws: Workspace = ws, done: list[str] = done) -> None:
            done.append(ws.agent("a").run("hello").status)

        def build(ws: Workspace = ws, done: list[str] = done) -> None:
            ws.agent("m")
            done.append("built")

        threads = [threading.Thread(target=run) for _ in range(3)]
        threads.append(threading.Thread(target=build))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert not any(t.is_alive() for t in threads), f"deadlock in round {round_number}"
        assert sorted(done) == ["built", "ok", "ok", "ok"]
        ws.close()


def test_max_steps_150_runs_150_tool_calls(make_workspace: MakeWorkspace) -> None:
    def always_call(messages: list[Any], tools: list[Any]) -> Any:
        made = sum(1 for m in messages if m.type == "tool")
        return ToolCall("get_order_status", {"order_id": f"A-{made}"})  # never the same call

    ws = make_workspace(always_call, "limits: {max_steps: 150, timeout_s: 600}\n")
    result = ws.agent("a").run("look everything up")
    assert result.status == "step_limit", result.error
    assert len(result.tool_calls) == 150
    assert "Recursion" not in (result.error or "") and "Recursion" not in result.text


def _run_in_forked_worker(root: str, queue: Any) -> None:
    ws = load_workspace(root)
    result = ws.agent("a").run("hello from a worker")
    assert ws.tracer().flush()
    queue.put((result.status, result.run_id))


def test_workers_forked_after_a_run_run_agents_and_record_distinct_spans(
    make_workspace: MakeWorkspace, tmp_path: Path, script_name: str
) -> None:
    make_workspace(lambda messages, tools: Reply("hi"))
    root = tmp_path / "ws"
    parent = load_workspace(root)  # traced: the parent's runtime loop and writer run
    assert parent.agent("a").run("hello from the parent").ok
    assert parent.tracer().flush()
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    workers = [context.Process(target=_run_in_forked_worker, args=(str(root), queue)) for _ in "ab"]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert all(w.exitcode == 0 for w in workers), [w.exitcode for w in workers]
    results = [queue.get(timeout=5) for _ in workers]
    assert [status for status, _ in results] == ["ok", "ok"]
    with sqlite3.connect(root / ".springlet" / "traces.sqlite") as conn:
        runs = {row[0] for row in conn.execute("SELECT run_id FROM runs")}
        span_rows = conn.execute("SELECT count(*), count(DISTINCT span_id) FROM spans").fetchone()
    assert {run_id for _, run_id in results} <= runs and len(runs) == 3
    assert span_rows[0] == span_rows[1]


def test_a_router_whose_classifier_raises_returns_a_failed_run(
    make_workspace: MakeWorkspace, script_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    register_script(f"{script_name}-chooser", [Reply('{"route": "a"}')])
    router = """
    name: desk
    kind: router
    description: Routes.
    model: scripted:SCRIPT-chooser
    embeddings: scripted:words
    routes:
      - agent: a
        examples: ["anything"]
    """
    ws = make_workspace(lambda messages, tools: Reply("hi"), files={"agents/desk.yaml": router})
    desk = ws.agent("desk")

    async def broken(text: str) -> list[float]:
        raise RuntimeError("the encoder fell over")

    monkeypatch.setattr(desk.embedder.embeddings, "aembed_query", broken)  # type: ignore[attr-defined]
    result = desk.run("where is my order")
    assert result.status == "error" and not result.ok
    assert "the encoder fell over" in (result.error or "")
    assert len(result.run_id) == 32 and result.run_id[:12] < "ffffffffffff"  # time-ordered


def test_a_failed_run_keeps_its_traceback_in_the_span(
    make_workspace: MakeWorkspace, tmp_path: Path
) -> None:
    from springlet.testing import Fail
    from springlet.tracing import MemorySink

    make_workspace([Fail(RuntimeError("the model exploded"))])
    sink = MemorySink()
    ws = load_workspace(tmp_path / "ws", tracing=sink)
    result = ws.agent("a").run("hello")
    assert result.status == "error" and "the model exploded" in (result.error or "")
    assert ws.tracer().flush()
    [root] = [s for s in sink.spans() if s.span_id == s.trace_id or s.parent_id is None]
    assert root.attributes["exception.type"] == "builtins.RuntimeError"
    assert root.attributes["exception.message"] == "the model exploded"
    stack = root.attributes["exception.stacktrace"]
    assert stack.startswith("Traceback") and "RuntimeError: the model exploded" in stack
    ws.close()
