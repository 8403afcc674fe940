"""Snapshots of the screens of part 2 at 80x24 and 120x40, over fixed data (runs with
fixed ids and times, the clock's zone set to UTC, cursors that do not blink).

Update after an intended change: `pytest tests/tui/test_screen_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Input

from springlet import load_workspace
from springlet.testing import Reply, register_script, unregister_script
from springlet.tui.app import SpringletApp
from springlet.tui.backend import Backend

from .conftest import echo, wait_until, write_workspace
from .stored_traces import RUN, failed_run, order_run, write_runs

SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def fixed_app(tmp_path: Path, utc: None) -> Iterator[SpringletApp]:
    register_script("snapshot", [Reply("unused")])
    register_script("echo-everything", echo)
    root = write_workspace(tmp_path / "ws", "snapshot")
    write_runs(root / ".springlet", failed_run(), order_run())
    ws = load_workspace(root, tracing=False)
    yield SpringletApp(Backend(ws), agent="shop", local_clipboard=False)
    ws.close()
    unregister_script("snapshot")
    unregister_script("echo-everything")


def no_blink(app: Any) -> None:
    for widget in app.screen.query(Input):
        widget.cursor_blink = False


async def open_traces(pilot: Any) -> None:
    app = pilot.app
    await wait_until(pilot, lambda: app.conversation is not None)
    app.go_to("Traces")
    await pilot.pause(0.2)
    screen = app.traces_screen
    no_blink(app)
    table = screen.query_one("#runs", DataTable)
    await wait_until(pilot, lambda: table.row_count == 2)
    screen.open_run(RUN)
    await wait_until(pilot, lambda: screen.span_tree.run_id == RUN)
    assert screen.span_tree.select_span("t1")
    await pilot.pause(0.3)


@SIZES
def test_traces_snapshot(snap_compare: Any, fixed_app: SpringletApp, size: tuple[int, int]) -> None:
    assert snap_compare(fixed_app, terminal_size=size, run_before=open_traces)
