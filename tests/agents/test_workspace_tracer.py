"""Runs are traced through the workspace's tracing choice: a custom sink, or nothing."""

from __future__ import annotations

from collections.abc import Callable

from springlet import Workspace
from springlet.testing import Reply, ToolCall
from springlet.tracing import MemorySink, SpanKind, Tracer

MakeWorkspace = Callable[..., Workspace]


def test_a_run_is_recorded_as_a_span_tree_in_a_custom_sink(make_workspace: MakeWorkspace) -> None:
    loaded = make_workspace(
        [ToolCall("get_order_status", {"order_id": "A-1001"}), Reply("Shipped.")],
        "tools: [get_order_status]\n",
    ).loaded
    sink = MemorySink()
    with Workspace(loaded, tracing=sink) as ws:
        result = ws.agent("a").run("Where is A-1001?", session_id="s-1")
        assert ws.tracer().flush()
    spans = sink.spans()
    root = next(s for s in spans if s.parent_id is None)
    assert root.span_id == result.run_id
    assert root.kind is SpanKind.AGENT
    assert root.status == "ok"
    kinds = [s.kind for s in spans if s.trace_id == root.trace_id]
    assert kinds.count(SpanKind.TOOL) == 1
    assert len(kinds) >= 4  # the agent, two model calls, one tool call


def test_tracing_off_records_nothing(make_workspace: MakeWorkspace) -> None:
    ws = make_workspace([Reply("hi")])
    assert ws.tracing is False
    tracer = ws.tracer()
    assert isinstance(tracer, Tracer)
    assert not tracer.enabled
    assert ws.agent("a").run("hello").status == "ok"
