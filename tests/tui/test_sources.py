"""Sources of a retrieval show under the answer, live and in a resumed session (which
reads them back from the trace store through ws.sessions)."""

from __future__ import annotations

import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from springlet import load_workspace
from springlet.testing import Reply, ToolCall, register_script, unregister_script
from springlet.tui.app import SpringletApp
from springlet.tui.backend import Backend
from springlet.tui.widgets.sources import SourceLink
from springlet.tui.widgets.tool_card import ToolCard

from .conftest import TOOLS, wait_until
from .test_chat import finished, send

AGENT = """
name: helper
description: Knows the manual.
model: scripted:{script}
instructions: You help.
tools: [get_order_status]
knowledge:
  - collection: manual
    top_k: 1
advisors:
  - memory: {{}}
"""

FILES = {
    "knowledge/manual.yaml": "name: manual\nsources:\n  - path: knowledge/manual/\n"
    "embeddings: scripted:words\n",
    "knowledge/manual/reset.md": "# Reset\n\nHold the power button for ten seconds.\n",
}


def respond(messages: list[Any], tools: Any) -> Any:
    last = messages[-1]
    if last.type == "tool":
        return Reply(f"Done: {last.content} Hold the power button for ten seconds.")
    return ToolCall("get_order_status", {"order_id": "A-1001"})


@pytest.fixture
def knowing_app(tmp_path: Path) -> Iterator[SpringletApp]:
    script = f"s{uuid.uuid4().hex[:8]}"
    register_script(script, respond)
    root = tmp_path / "ws"
    files = {"agents/helper.yaml": AGENT.format(script=script), "tools/shop.py": TOOLS, **FILES}
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(textwrap.dedent(text))
    ws = load_workspace(root)
    assert [str(p) for p in ws.problems] == []
    ws.knowledge.ingest("manual")
    yield SpringletApp(Backend(ws), agent="helper", local_clipboard=False)
    ws.close()
    unregister_script(script)


def sources_shown(app: SpringletApp) -> list[str]:
    return [str(link.render()) for link in app.query(SourceLink)]


async def test_sources_show_live_and_after_resume(knowing_app: SpringletApp) -> None:
    app = knowing_app
    async with app.run_test(size=(100, 30)) as pilot:
        await send(pilot, app, "how do I reset the power button of order A-1001?")
        await wait_until(pilot, lambda: finished(app))
        [live] = sources_shown(app)
        assert live.startswith("knowledge/manual/reset.md > Reset ·")
        session_id = app.conversation.session_id
        app.backend.ws.tracer().flush()
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: not app.query(SourceLink))
        app.resume_session(session_id)
        await wait_until(pilot, lambda: bool(app.query(ToolCard)) and bool(app.query(SourceLink)))
        assert sources_shown(app) == [live]
        [card] = app.query(ToolCard)
        assert (card.tool_name, card.status) == ("get_order_status", "ok")
        assert card.duration_ms is not None
