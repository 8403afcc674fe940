"""Snapshots of the chat at 80x24 and 120x40, from a stored session (deterministic data).

Update after an intended change: `pytest tests/tui/test_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from springlet import load_workspace
from springlet.testing import Reply, register_script, unregister_script
from springlet.tui.app import SpringletApp
from springlet.tui.backend import ToolCallRecord, TranscriptEntry
from springlet.tui.widgets.tool_card import ToolCard

from .conftest import echo, wait_until, write_workspace
from .stored import StoredBackend

SESSION = "s-snapshot"
TURN = [
    TranscriptEntry("user", "Where is order A-1001, and how do I reset the device?"),
    TranscriptEntry(
        "assistant",
        "Order **A-1001** has shipped with DHL.\n\nTo reset the device:\n\n"
        "```sh\nacme reset --hard\n```\n\nHold the button for 10 seconds first.",
        (
            ToolCallRecord(
                "c1",
                "get_order_status",
                {"order_id": "A-1001"},
                "Order A-1001 is shipped.",
                "ok",
                12.0,
            ),
            ToolCallRecord(
                "c2",
                "refund_order",
                {"order_id": "A-1001", "amount": 5.0},
                "The user did not approve running 'refund_order'.",
                "rejected",
                3.0,
            ),
        ),
        (
            {
                "path": "knowledge/manual/reset.md",
                "heading": "Reset > Hard reset",
                "score": 0.82,
                "snippet": "Hold the button for 10 seconds.",
            },
        ),
    ),
]


@pytest.fixture
def snapshot_app(tmp_path: Path) -> Iterator[SpringletApp]:
    register_script("snapshot", [Reply("unused")])
    register_script("echo-everything", echo)
    ws = load_workspace(write_workspace(tmp_path / "ws", "snapshot"), tracing=False)
    backend = StoredBackend(ws)
    backend.stored.add(SESSION, "shop", list(TURN))
    yield SpringletApp(backend, agent="shop", local_clipboard=False)
    ws.close()
    unregister_script("snapshot")
    unregister_script("echo-everything")


async def open_stored_session(pilot: Any) -> None:
    app = pilot.app
    await wait_until(pilot, lambda: app.conversation is not None and app.session_infos)
    app.prompt.cursor_blink = False
    app.resume_session(SESSION)
    await wait_until(pilot, lambda: len(app.query(ToolCard)) == 2)
    await pilot.pause(0.2)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_chat_snapshot(
    snap_compare: Any, snapshot_app: SpringletApp, size: tuple[int, int]
) -> None:
    assert snap_compare(snapshot_app, terminal_size=size, run_before=open_stored_session)


def test_light_theme_snapshot(snap_compare: Any, snapshot_app: SpringletApp) -> None:
    async def light(pilot: Any) -> None:
        await open_stored_session(pilot)
        await pilot.press("ctrl+t")
        await pilot.pause(0.2)

    assert snap_compare(snapshot_app, terminal_size=(80, 24), run_before=light)
