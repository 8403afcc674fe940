"""The Traces screen's computations: span index and rollups, waterfall bars, the filter;
and a run of 10,000 spans opening as a handful of tree nodes."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

from springlet import load_workspace
from springlet.testing import Reply
from springlet.tui.app import SpringletApp
from springlet.tui.backend import Backend
from springlet.tui.trace_model import SpanIndex, parse_filter, waterfall_bar
from springlet.tui.widgets.span_tree import PAGE

from .conftest import wait_until, write_workspace
from .stored_traces import wide_run, write_runs


def node(
    span_id: str, parent: str | None, start: int, end: int | None = None, **kw: object
) -> SimpleNamespace:
    return SimpleNamespace(
        span_id=span_id, parent_id=parent, start_ns=start, end_ns=end, seq=start,
        status=kw.get("status", "ok"), attributes=kw.get("attributes", {}),
    )  # fmt: skip


def test_children_arrive_before_their_parents_and_roll_up() -> None:
    index = SpanIndex("root")
    index.add(node("leaf", "tool", 3, 4, attributes={"gen_ai.usage.input_tokens": 5}))
    index.add(node("tool", "root", 2, 5, status="error"))
    index.add(node("orphan", "never-stored", 1, 2, attributes={"gen_ai.usage.output_tokens": 7}))
    index.add(node("root", None, 0, 10))
    assert [s.span_id for s in index.children("root")] == ["orphan", "tool"]
    assert index.ancestors("leaf") == ["tool", "root"]
    total = index.rollup("root")
    assert (total.spans, total.input_tokens, total.output_tokens, total.errors) == (4, 5, 7, 1)
    index.add(node("late", "tool", 6, 7, status="error"))  # the cached rollups are redone
    assert index.rollup("root").errors == 2 and index.rollup("tool").spans == 3


def test_the_waterfall_places_each_span_on_the_run_scale() -> None:
    assert waterfall_bar(0, 10, (0, 10), 10) == "█" * 10
    assert waterfall_bar(5, 6, (0, 10), 10) == "     █    "
    assert waterfall_bar(9, None, (0, 10), 10) == "         █"  # open: to the end
    assert waterfall_bar(3, 3, (0, 10), 10).count("█") == 1  # never invisible


def test_the_filter_reads_agent_status_since_and_text() -> None:
    now = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    typed = parse_filter("agent:shop status:error since:10m refund", now)
    assert (typed.agent, typed.status, typed.text) == ("shop", "error", "refund")
    assert typed.since == datetime(2026, 11, 24, 9, 50, tzinfo=UTC)
    run = SimpleNamespace(
        agent="shop", status="error", start_ns=int(now.timestamp() * 1e9), input="a refund",
        output=None, error=None,
    )  # fmt: skip
    assert typed.matches(run)
    assert not parse_filter("agent:other").matches(run)
    assert not parse_filter("since:1m", now).matches(
        SimpleNamespace(**{**run.__dict__, "start_ns": 0})
    )
    assert "none of" in (parse_filter("status:bad").problem or "")
    assert "write it like" in (parse_filter("since:soon").problem or "")


async def test_a_run_of_10000_spans_opens_with_bounded_nodes(tmp_path: Path) -> None:
    from springlet.testing import register_script, unregister_script

    register_script("wide", [Reply("unused")])
    root = write_workspace(tmp_path / "ws", "wide")
    run_id = "0190bbbb0000000000000000000000ff"
    write_runs(root / ".springlet", wide_run(run_id, 10_000))
    ws = load_workspace(root, tracing=False)
    app = SpringletApp(Backend(ws), agent="shop", local_clipboard=False)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_until(pilot, lambda: app.conversation is not None)
            app.go_to("Traces")
            await pilot.pause(0.2)
            screen = app.traces_screen
            began = time.perf_counter()
            screen.open_run(run_id)
            tree = screen.span_tree
            await wait_until(pilot, lambda: tree.run_id == run_id)
            opened_s = time.perf_counter() - began
            assert tree.index is not None and len(tree.index) == 10_000
            # 1,000 spans below the root: a page of them (and a "more" node) gets nodes
            assert len(tree.root.children) == PAGE + 1
            assert len(tree._span_nodes) == PAGE + 1
            tree.select_node(tree.root.children[-1])  # "… more": the next page
            await pilot.pause()
            assert len(tree.root.children) == 2 * PAGE + 1
            assert opened_s < 30  # a sanity bound only; bench/tui.py measures it
    finally:
        ws.close()
        unregister_script("wide")
