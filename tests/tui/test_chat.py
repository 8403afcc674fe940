"""Pilot tests of the chat: streaming, tool cards, fences, scrolling, cancel, errors, copy."""

from __future__ import annotations

import socket
from pathlib import Path

from textual.message import Message
from textual.widgets import Markdown
from textual.widgets._markdown import MarkdownFence

from springlet.testing import Reply, ToolCall
from springlet.tui.messages import AnswerDelta
from springlet.tui.widgets.chat import Answer, Note, UserMessage
from springlet.tui.widgets.tool_card import ToolCard

from .conftest import MakeApp, wait_until

ORDER_SCRIPT = [
    ToolCall("get_order_status", {"order_id": "A-1001"}),
    Reply("Order **A-1001** has shipped, as the order book says."),
]


async def send(pilot: object, app: object, text: str) -> None:
    await wait_until(pilot, lambda: app.conversation is not None)  # type: ignore[attr-defined]
    app.prompt.value = text  # type: ignore[attr-defined]
    await pilot.press("enter")  # type: ignore[attr-defined]


def finished(app: object) -> bool:
    return not app.running and app.chat.last_answer is not None  # type: ignore[attr-defined]


async def test_a_message_streams_its_answer_and_shows_the_tool_card(make_app: MakeApp) -> None:
    posted: list[Message] = []
    app = make_app(ORDER_SCRIPT)
    async with app.run_test(size=(100, 30), message_hook=posted.append) as pilot:
        await send(pilot, app, "where is A-1001?")
        await wait_until(pilot, lambda: finished(app))
        unique = {id(m): m for m in posted if isinstance(m, AnswerDelta)}.values()
        deltas = [m.text for m in unique]
        assert len(deltas) > 3, "the answer arrived in one piece, not streamed"
        assert "".join(deltas) == "Order **A-1001** has shipped, as the order book says."
        [card] = app.query(ToolCard)
        assert (card.tool_name, card.status) == ("get_order_status", "ok")
        assert "get_order_status · ok ·" in card.title_text() and "ms" in card.title_text()
        assert [u.text for u in app.query(UserMessage)] == ["where is A-1001?"]
        # expanding the card shows the arguments and the result as JSON
        await pilot.click(card.query_one("CollapsibleTitle"))
        await pilot.pause()
        shown = [s.content.code for s in card.query(".tool-card-json")]  # type: ignore[attr-defined]
        assert shown == ['{\n  "order_id": "A-1001"\n}', "Order A-1001 is shipped."]


async def test_an_answer_with_a_code_fence_renders_whole(make_app: MakeApp) -> None:
    text = "Run this:\n\n```python\nprint('hi')\n```\n\nThen you are done."
    app = make_app([Reply(text)])
    async with app.run_test(size=(100, 30)) as pilot:
        await send(pilot, app, "how?")
        await wait_until(pilot, lambda: finished(app))
        await pilot.pause()
        markdown = app.chat.last_answer.query_one(Markdown)
        [fence] = markdown.query(MarkdownFence)
        assert "print('hi')" in fence.code
        assert "Then you are done." in markdown.source
        assert app.chat.last_answer.text == text


async def test_scrolling_up_mid_stream_keeps_the_view(make_app: MakeApp, tmp_path: Path) -> None:
    gate = tmp_path / "go"
    long_text = "\n\n".join(f"Paragraph {i} of the first part." for i in range(40))
    more = "\n\n".join(f"Paragraph {i} of the second part." for i in range(40))
    app = make_app(
        [[Reply(long_text), ToolCall("wait_for_file", {"path": str(gate)})], Reply(more)]
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await send(pilot, app, "tell me a lot")
        await wait_until(pilot, lambda: bool(app.query(ToolCard)))
        await pilot.pause(0.2)
        chat = app.chat
        assert chat.scroll_y == chat.max_scroll_y, "the view follows while at the bottom"
        chat.scroll_to(y=5, animate=False)
        await pilot.pause()
        gate.touch()
        await wait_until(pilot, lambda: not app.running)
        await pilot.pause(0.2)
        assert chat.scroll_y == 5
        assert chat.max_scroll_y > 40


async def test_escape_cancels_the_answer_and_restores_the_prompt(
    make_app: MakeApp, tmp_path: Path
) -> None:
    never = tmp_path / "never"
    app = make_app([ToolCall("wait_for_file", {"path": str(never)}), Reply("too late")])
    async with app.run_test(size=(80, 24)) as pilot:
        await send(pilot, app, "wait for it")
        await wait_until(pilot, lambda: bool(app.query(ToolCard)))
        assert app.prompt.value == ""
        await pilot.press("escape")
        await wait_until(pilot, lambda: not app.running)
        assert app.prompt.value == "wait for it"
        assert any("stopped" in n.text for n in app.query(Note))
        assert not any("too late" in a.text for a in app.query(Answer))


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_ollama_on_a_closed_port_gives_an_error_in_the_chat(make_app: MakeApp) -> None:
    settings = f"ollama: {{host: 'http://127.0.0.1:{closed_port()}'}}\n"
    agent = "name: shop\ndescription: On Ollama.\nmodel: ollama:llama3.2\ninstructions: Hi.\n"
    app = make_app([Reply("unused")], settings=settings, agent=agent + "# {script}\n")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.conversation is not None)
        assert "ollama:llama3.2" in str(app.query_one("#model-bar").render())
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press("escape")
        await send(pilot, app, "hello?")
        await wait_until(pilot, lambda: not app.running and bool(app.query(".note.-error")))
        [error] = app.query(".note.-error")
        assert "127.0.0.1" in error.text or "Ollama" in error.text
        # the app goes on: another message gives another error, not a crash
        await send(pilot, app, "still there?")
        await wait_until(pilot, lambda: len(app.query(".note.-error")) == 2)


async def test_copy_sets_the_clipboard(make_app: MakeApp) -> None:
    app = make_app(ORDER_SCRIPT)
    async with app.run_test(size=(80, 24)) as pilot:
        await send(pilot, app, "where is A-1001?")
        await wait_until(pilot, lambda: finished(app))
        await pilot.press("ctrl+y")
        assert app.clipboard == "Order **A-1001** has shipped, as the order book says."
        card = app.query_one(ToolCard)
        card.query_one("CollapsibleTitle").focus()
        await pilot.press("c")
        assert app.clipboard.startswith("get_order_status\narguments:")
        assert "Order A-1001 is shipped." in app.clipboard
