"""Pilot tests of approvals, sessions, the command palette and the keymap."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import ToolMessage

from springlet.testing import Reply, ScriptedChatModel, ToolCall
from springlet.tui.screens.dialogs import ApprovalScreen
from springlet.tui.widgets.chat import Note
from springlet.tui.widgets.sidebar import SessionList
from springlet.tui.widgets.tool_card import ToolCard

from .conftest import MakeApp, wait_until
from .test_chat import finished, send


def refund_then_report(messages: list[Any], tools: list[Any]) -> Any:
    """Ask for a refund; once the tool answered, repeat what it said."""
    last = messages[-1]
    if isinstance(last, ToolMessage):
        return Reply(f"The tool said: {last.content}")
    return ToolCall("refund_order", {"order_id": "A-1001", "amount": 5.0})


async def approve_with(pilot: Any, app: Any, key: str) -> None:
    await wait_until(pilot, lambda: isinstance(app.screen, ApprovalScreen))
    await pilot.press(key)


async def test_deny_is_focused_and_the_model_gets_the_denial(make_app: MakeApp) -> None:
    model = ScriptedChatModel(respond=refund_then_report)
    app = make_app(model)
    async with app.run_test(size=(80, 24)) as pilot:
        await send(pilot, app, "refund A-1001")
        await wait_until(pilot, lambda: isinstance(app.screen, ApprovalScreen))
        assert app.screen.focused is not None and app.screen.focused.id == "deny"
        await pilot.press("enter")  # Enter on the focused button: deny
        await wait_until(pilot, lambda: finished(app))
        tool_results = [m for m in model.calls[-1].messages if isinstance(m, ToolMessage)]
        assert "did not approve" in str(tool_results[-1].content)
        assert "did not approve" in app.chat.last_answer.text
        assert app.query_one(ToolCard).status == "rejected"


async def test_allow_once_runs_the_tool_and_asks_again_next_time(make_app: MakeApp) -> None:
    app = make_app(ScriptedChatModel(respond=refund_then_report))
    async with app.run_test(size=(80, 24)) as pilot:
        await send(pilot, app, "refund A-1001")
        await approve_with(pilot, app, "o")
        await wait_until(pilot, lambda: finished(app))
        assert "Refunded 5.00 on A-1001." in app.chat.last_answer.text
        assert app.query_one(ToolCard).status == "ok"
        await send(pilot, app, "again")
        await wait_until(pilot, lambda: isinstance(app.screen, ApprovalScreen))


async def test_allow_for_session_stops_asking_in_that_session(make_app: MakeApp) -> None:
    app = make_app(ScriptedChatModel(respond=refund_then_report))
    async with app.run_test(size=(80, 24)) as pilot:
        await send(pilot, app, "refund A-1001")
        await approve_with(pilot, app, "s")
        await wait_until(pilot, lambda: finished(app))
        await send(pilot, app, "and again")
        await wait_until(pilot, lambda: len(app.query(ToolCard)) == 2 and not app.running)
        assert not isinstance(app.screen, ApprovalScreen)
        assert [c.status for c in app.query(ToolCard)] == ["ok", "ok"]
        await pilot.press("ctrl+n")  # a new session asks again
        await send(pilot, app, "refund in a new session")
        await wait_until(pilot, lambda: isinstance(app.screen, ApprovalScreen))


ORDER = [ToolCall("get_order_status", {"order_id": "A-1001"}), Reply("It has shipped.")]


async def test_a_session_resumes_with_its_tool_cards(make_app: MakeApp) -> None:
    app = make_app(ORDER)
    async with app.run_test(size=(100, 30)) as pilot:
        await send(pilot, app, "where is A-1001?")
        await wait_until(pilot, lambda: finished(app))
        session_id = app.conversation.session_id
        await wait_until(pilot, lambda: len(app.session_infos) == 1)
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: not app.query(ToolCard))
        app.resume_session(session_id)
        await wait_until(pilot, lambda: bool(app.query(ToolCard)))
        [card] = app.query(ToolCard)
        assert (card.tool_name, card.status, card.result) == (
            "get_order_status",
            "ok",
            "Order A-1001 is shipped.",
        )
        assert app.chat.last_answer.text == "It has shipped."
        assert app.conversation.session_id == session_id


async def test_sessions_are_renamed_searched_and_deleted(make_app: MakeApp) -> None:
    app = make_app(ScriptedChatModel(respond=lambda m, t: Reply("ok")))
    async with app.run_test(size=(100, 30)) as pilot:
        for text in ("first question", "second question"):
            await send(pilot, app, text)
            await wait_until(pilot, lambda: not app.running)
            await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: len(app.session_infos) == 2)
        assert [s.title for s in app.session_infos] == ["second question", "first question"]
        app.query_one(SessionList).focus()
        app.query_one(SessionList).highlighted = 0
        await pilot.press("f2")
        await pilot.pause()
        app.screen.query_one("#title").value = "renamed"
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.session_infos[0].title == "renamed")
        await pilot.press("ctrl+f")
        await pilot.press(*"first")
        await wait_until(pilot, lambda: [s.title for s in app.session_infos] == ["first question"])
        app.query_one(SessionList).focus()
        app.query_one(SessionList).highlighted = 0
        await pilot.press("delete")
        await pilot.pause()
        await pilot.click("#yes")
        await wait_until(pilot, lambda: app.session_infos == [])


async def test_the_palette_opens_a_chat_with_an_agent(make_app: MakeApp) -> None:
    app = make_app([Reply("unused")])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.conversation is not None)
        assert app.conversation.agent == "shop"
        await pilot.press("ctrl+p")
        await pilot.press(*"chat with echo")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.conversation.agent == "echo")
        await send(pilot, app, "hi")
        await wait_until(pilot, lambda: finished(app))
        assert app.chat.last_answer.text == "echo: hi"
        assert "echo" in str(app.query_one("#model-bar").render())


async def test_a_remapped_key_works(make_app: MakeApp) -> None:
    app = make_app([Reply("unused")], settings="tui:\n  keymap:\n    new_chat: f5\n")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.conversation is not None)
        first = app.conversation
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.conversation is first, "ctrl+n no longer starts a chat"
        await pilot.press("f5")
        await pilot.pause()
        assert app.conversation is not first
        assert len(app.query(Note)) == 1
