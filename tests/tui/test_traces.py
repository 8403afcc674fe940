"""Pilot tests of the Traces screen: a scripted run's trace and its tool span, a run
recorded while the screen is open, a running run's tree growing, the jump from a chat
answer and back, and the filter box."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from rich.console import Console
from textual.widgets import DataTable, Static

from springlet.testing import Reply, ToolCall
from springlet.tui.screens.traces import TracesScreen
from springlet.tui.widgets.chat import Answer
from springlet.tui.widgets.span_tree import SpanTree

from .conftest import MakeApp, wait_until
from .test_chat import send


def detail_text(screen: TracesScreen) -> str:
    """The span detail as plain text."""
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(screen.query_one("#span-detail", Static).content)
    return console.export_text()


def spans_of(tree: SpanTree, kind: str) -> list[Any]:
    assert tree.index is not None
    return [s for s in tree.index.spans.values() if str(s.kind) == kind]


async def test_the_trace_of_a_run_shows_its_tool_span(make_app: MakeApp) -> None:
    app = make_app(
        [ToolCall("get_order_status", {"order_id": "A-1001"}), Reply("It has shipped.")],
        tracing=True,
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, app, "where is A-1001?")
        await wait_until(pilot, lambda: not app.running and app.chat.last_answer is not None)
        answer = app.chat.query(Answer).last()
        assert answer.run_id is not None
        answer.focus()
        await pilot.press("t")  # from the answer to its run's trace
        screen = app.traces_screen
        assert app.screen is screen
        tree = screen.span_tree
        await wait_until(pilot, lambda: tree.run_id == answer.run_id and spans_of(tree, "tool"))
        [tool] = spans_of(tree, "tool")
        assert tree.select_span(tool.span_id)
        await wait_until(pilot, lambda: "get_order_status" in detail_text(screen))
        shown = detail_text(screen)
        assert "arguments" in shown and '"order_id": "A-1001"' in shown
        assert "result" in shown and "Order A-1001 is shipped." in shown
        # the run's row is in the table, with its tool call counted
        table = screen.query_one("#runs", DataTable)
        await wait_until(pilot, lambda: table.row_count == 1)
        row = table.get_row(answer.run_id)
        assert row[1] == "shop" and row[7] == "1"
        await pilot.press("escape")  # and back to the answer
        await pilot.pause()
        assert app.screen is app.home and app.focused is answer


async def test_a_run_recorded_while_the_screen_is_open_appears_and_its_tree_grows(
    make_app: MakeApp, tmp_path: Path
) -> None:
    gate = tmp_path / "go-on"
    app = make_app(
        [
            ToolCall("get_order_status", {"order_id": "A-1001"}),
            ToolCall("wait_for_file", {"path": str(gate)}),
            Reply("Done."),
        ],
        tracing=True,
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.conversation is not None)
        app.go_to("Traces")
        screen = app.traces_screen
        await pilot.pause(0.3)
        table = screen.query_one("#runs", DataTable)
        assert table.row_count == 0
        app.go_to("Chat")
        await pilot.pause()
        await send(pilot, app, "where is A-1001?")
        app.go_to("Traces")
        await wait_until(pilot, lambda: table.row_count == 1)  # no refresh asked for
        run_id = str(table.coordinate_to_cell_key((0, 0)).row_key.value)  # type: ignore[arg-type]
        assert table.get_row(run_id)[0] == "…"  # still running
        screen.open_run(run_id)
        tree = screen.span_tree
        await wait_until(pilot, lambda: tree.run_id == run_id)
        await wait_until(pilot, lambda: len(spans_of(tree, "tool")) == 1)
        gate.write_text("go")  # the second tool returns: the tree grows, the row ends
        await wait_until(pilot, lambda: len(spans_of(tree, "tool")) == 2)
        await wait_until(pilot, lambda: table.get_row(run_id)[0] == "✓", timeout=15)
        assert table.get_row(run_id)[7] == "2"
        label = str(tree.root.label)  # relabelled at the run's end
        assert label.startswith("✓") and "invoke_agent shop" in label


async def test_the_filter_box_keeps_the_runs_that_match(make_app: MakeApp) -> None:
    app = make_app([Reply("Fine.")], tracing=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await send(pilot, app, "first")
        await wait_until(pilot, lambda: not app.running and app.chat.last_answer is not None)
        app.go_to("Traces")
        screen = app.traces_screen
        await pilot.pause(0.2)
        table = screen.query_one("#runs", DataTable)
        await wait_until(pilot, lambda: table.row_count == 1)
        await pilot.press("slash")
        await pilot.press(*"status:error", "enter")
        await wait_until(pilot, lambda: table.row_count == 0)
        screen.query_one("#trace-filter").value = "agent:shop first"  # type: ignore[attr-defined]
        await pilot.press("slash", "enter")
        await wait_until(pilot, lambda: table.row_count == 1)
        assert table.row_count == 1
