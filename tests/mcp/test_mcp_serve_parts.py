"""What `springlet mcp serve` answers, in process: knowledge search, agents' sessions,
failures as tool errors, prompt arguments typed from text."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from springlet import load_workspace
from springlet.mcp import WorkspaceMcpServer

TOOLS = '''
from springlet import tool
from springlet.testing import register_script


def _count(messages, tools):
    from springlet.testing import Reply

    turns = [m for m in messages if m.type == "human"]
    return Reply(f"turn {len(turns)}")


register_script("served-count", _count)


@tool
def explode(x: str) -> str:
    """Always fails."""
    raise ValueError(f"boom {x}")
'''

FILES = {
    "tools/t.py": TOOLS,
    "knowledge/manual.yaml": (
        "name: manual\ndescription: The manual.\nsources:\n  - path: docs/\n"
        "embeddings: scripted:words\n"
    ),
    "docs/kettle.md": "# Kettle\n\nDescale the kettle every month with vinegar.\n",
    "docs/toaster.md": "# Toaster\n\nEmpty the crumb tray weekly.\n",
    "agents/mem.yaml": (
        "name: mem\ndescription: Remembers.\nmodel: scripted:served-count\n"
        "instructions: You help.\nadvisors:\n  - memory: {window: 10}\n"
    ),
    "prompts/p.yaml": (
        "name: p\ndescription: d\ninput:\n  n: {type: integer}\n  flag: {type: boolean}\n"
        "messages:\n  - role: user\n    content: 'n={{ n + 1 }} flag={{ flag }}'\n"
    ),
}


@pytest.fixture
def server(write_workspace: Any) -> Any:
    ws = load_workspace(write_workspace(FILES), tracing=False)
    yield WorkspaceMcpServer(ws)
    ws.close()


def text_of(result: Any) -> str:
    return str(result.content[0].text)


def test_knowledge_search_is_a_tool(server: WorkspaceMcpServer) -> None:
    listing = server.tools["search_knowledge"].listing
    assert listing.input_schema["properties"]["collection"]["enum"] == ["manual"]
    result = asyncio.run(server.call("search_knowledge", {"query": "descale kettle vinegar"}))
    assert not result.is_error
    hits = json.loads(text_of(result))
    assert hits[0]["source"] == "docs/kettle.md > Kettle" and "vinegar" in hits[0]["text"]


def test_an_agent_keeps_a_session_across_calls(server: WorkspaceMcpServer) -> None:
    async def ask(session: str) -> str:
        return text_of(await server.call("ask_mem", {"question": "hi", "session_id": session}))

    assert asyncio.run(ask("s1")) == "turn 1"
    assert asyncio.run(ask("s1")) == "turn 2"
    assert asyncio.run(ask("s2")) == "turn 1"


def test_failures_are_tool_errors(server: WorkspaceMcpServer) -> None:
    failed = asyncio.run(server.call("explode", {"x": "1"}))
    assert failed.is_error and "boom 1" in text_of(failed)
    missing = asyncio.run(server.call("nope", {}))
    assert missing.is_error and "no tool named 'nope'" in text_of(missing)
    empty = asyncio.run(server.call("ask_mem", {"question": " "}))
    assert empty.is_error and "'question' is required" in text_of(empty)


def test_prompt_arguments_are_typed_from_their_text(server: WorkspaceMcpServer) -> None:
    rendered = server.get_prompt("p", {"n": "41", "flag": "true"})
    assert [m.content.text for m in rendered.messages] == ["n=42 flag=True"]  # type: ignore[union-attr]


def test_an_unknown_prompt_names_the_known_ones(server: WorkspaceMcpServer) -> None:
    with pytest.raises(ValueError, match="no prompt named 'q'; prompts: p"):
        server.get_prompt("q", {})


def test_listing_an_http_address_defaults_to_localhost() -> None:
    from springlet.cli.mcp_cmd import _address

    assert _address("8765") == ("127.0.0.1", 8765)
    assert _address("0.0.0.0:9000") == ("0.0.0.0", 9000)
