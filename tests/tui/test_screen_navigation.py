"""Every screen of the app by its name in the command palette and by its footer key
(remappable), each rendering at 80x24 with Ollama on a closed port; and a span's detail
with the OTel exception attributes."""

from __future__ import annotations

import socket

from springlet.testing import Reply
from springlet.tui.app import SCREENS
from springlet.tui.screens.knowledge import KnowledgeScreen
from springlet.tui.screens.models import ModelsScreen
from springlet.tui.screens.traces import TracesScreen
from springlet.tui.screens.workspace_editor import WorkspaceScreen
from springlet.tui.span_detail import span_facts, span_sections

from .conftest import MakeApp, wait_until
from .stored_traces import failed_run, order_run

KINDS = {
    "Traces": TracesScreen,
    "Workspace": WorkspaceScreen,
    "Knowledge": KnowledgeScreen,
    "Models": ModelsScreen,
}


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_every_screen_from_the_palette_and_its_key_at_80x24(make_app: MakeApp) -> None:
    settings = f"ollama:\n  host: http://127.0.0.1:{closed_port()}\n"
    app = make_app([Reply("unused")], settings=settings)
    assert SCREENS == ("Chat", "Traces", "Workspace", "Knowledge", "Models")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.conversation is not None)
        for name, kind in KINDS.items():
            await pilot.press("ctrl+p")
            await pilot.pause(0.2)
            await pilot.press(*f"Screen: {name}")
            await pilot.pause(0.3)
            await pilot.press("enter")
            await wait_until(pilot, lambda kind=kind: isinstance(app.screen, kind))
            await pilot.pause(0.2)
            await pilot.press("f5")  # back to the chat
            await wait_until(pilot, lambda: app.screen is app.home)
        for key, kind in zip(("f6", "f7", "f8", "f9"), KINDS.values(), strict=True):
            await pilot.press(key)
            await wait_until(pilot, lambda kind=kind: isinstance(app.screen, kind))
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.home)


async def test_a_screen_key_is_remapped(make_app: MakeApp) -> None:
    app = make_app([Reply("unused")], settings="tui:\n  keymap:\n    screen_traces: f12\n")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.conversation is not None)
        await pilot.press("f6")
        await pilot.pause(0.2)
        assert app.screen is app.home
        await pilot.press("f12")
        await wait_until(pilot, lambda: isinstance(app.screen, TracesScreen))


def test_a_failed_span_shows_its_error_and_traceback() -> None:
    [tool, _root] = failed_run()
    [(title, text, lexer), *_] = span_sections(tool)
    assert (title, lexer) == ("error", "pytb")
    assert text.startswith("builtins.KeyError: 'no order B-7'")
    assert 'File "tools/orders.py", line 9' in text


def test_a_model_span_shows_model_options_tokens_and_speed() -> None:
    model = next(s for s in order_run() if s.span_id == "m1")
    facts = dict(span_facts(model))
    assert facts["model"] == "qwen2.5:7b" and facts["options"] == "temperature=0.2"
    assert facts["tokens"] == "412 in · 18 out"
    assert (facts["first token"], facts["tokens/s"]) == ("210ms", "45.5")
    retrieval = next(s for s in order_run() if s.span_id == "r1")
    sources = dict((t, x) for t, x, _ in span_sections(retrieval))["sources"]
    assert sources.splitlines() == [
        "0.82  knowledge/manual/orders.md > Shipping",
        "0.41  knowledge/manual/returns.md > Refunds",
    ]
