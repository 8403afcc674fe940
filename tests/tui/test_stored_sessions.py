"""A stored session in the chat: sources open in the viewer, long sessions mount a window."""

from __future__ import annotations

from typing import Any

from springlet.tui.app import AgentsLoaded, SessionsLoaded
from springlet.tui.backend import TranscriptEntry
from springlet.tui.screens.dialogs import SourceScreen
from springlet.tui.widgets.chat import SHOWN_AT_OPEN, Answer, UserMessage
from springlet.tui.widgets.sidebar import Sidebar
from springlet.tui.widgets.sources import SourceLink

from .conftest import wait_until
from .test_snapshots import SESSION, open_stored_session, snapshot_app  # noqa: F401


async def test_a_source_opens_in_the_viewer(snapshot_app: Any) -> None:  # noqa: F811
    app = snapshot_app
    async with app.run_test(size=(100, 30)) as pilot:
        await open_stored_session(pilot)
        link = app.query_one(SourceLink)
        assert "knowledge/manual/reset.md > Reset > Hard reset · 0.82" in str(link.render())
        link.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, SourceScreen))
        assert "Hold the button for 10 seconds." in str(app.screen.query("Static").last().render())
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, SourceScreen))


async def test_copy_last_code_block(snapshot_app: Any) -> None:  # noqa: F811
    app = snapshot_app
    async with app.run_test(size=(100, 30)) as pilot:
        await open_stored_session(pilot)
        app.action_copy_code()
        assert app.clipboard == "acme reset --hard\n"


async def test_a_long_session_mounts_its_last_entries_first(snapshot_app: Any) -> None:  # noqa: F811
    app = snapshot_app
    entries = [
        entry
        for i in range(120)
        for entry in (
            TranscriptEntry("user", f"question {i}"),
            TranscriptEntry("assistant", f"answer {i}"),
        )
    ]
    app.backend.stored.add("long", "shop", entries)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.conversation is not None)
        app.resume_session("long")
        await wait_until(pilot, lambda: bool(app.query(UserMessage)))
        shown = len(app.query(UserMessage)) + len(app.query(Answer))
        assert shown == SHOWN_AT_OPEN
        assert app.query(UserMessage).last().text == "question 119"
        app.chat.scroll_home(animate=False)  # at the top: the batch before comes in
        await wait_until(pilot, lambda: len(app.query(UserMessage)) == SHOWN_AT_OPEN)
        for _ in range(20):
            if not app.query("#show-earlier"):
                break
            app.query_one("#show-earlier").press()
            await pilot.pause()
        await wait_until(pilot, lambda: len(app.query(UserMessage)) == 120)
        assert app.query(UserMessage).first().text == "question 0"
        assert app.conversation.session_id == "long" != SESSION


async def test_a_late_answer_of_a_worker_while_closing_is_no_error(snapshot_app: Any) -> None:  # noqa: F811
    """Quitting while the session list loads: the list arrives after the widgets are gone."""
    app = snapshot_app
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.conversation is not None)
        await app.query_one(Sidebar).remove()  # what closing the app does first
        app.post_message(SessionsLoaded([]))
        app.post_message(AgentsLoaded([]))
        app.refresh_sessions()
        await pilot.pause(0.1)
