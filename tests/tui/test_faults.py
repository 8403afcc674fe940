"""A real Ollama-protocol server that fails: the chat says what happened, the app stays up."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from springlet.testing import OllamaTestServer, Reply, ScriptedChatModel

from .conftest import MakeApp, wait_until
from .test_chat import send

pytestmark = pytest.mark.integration

AGENT = (
    "name: shop\ndescription: On Ollama.\nmodel: ollama:qwen2.5:7b\ninstructions: Hi.\n# {script}\n"
)


@pytest.fixture
def ollama() -> Iterator[OllamaTestServer]:
    words = " ".join(f"word{i}" for i in range(50))
    with OllamaTestServer(ScriptedChatModel(respond=lambda m, t: Reply(words))) as server:
        yield server


def errors(app: object) -> list[str]:
    return [n.text for n in app.query(".note.-error")]  # type: ignore[attr-defined]


async def test_a_server_dying_mid_stream_is_an_error_in_the_chat(
    make_app: MakeApp, ollama: OllamaTestServer
) -> None:
    app = make_app([Reply("unused")], settings=f"ollama: {{host: '{ollama.url}'}}\n", agent=AGENT)
    async with app.run_test(size=(80, 24)) as pilot:
        ollama.faults.cut_stream_after = 3
        await send(pilot, app, "hello")
        await wait_until(pilot, lambda: not app.running and bool(errors(app)))
        ollama.faults.reset()
        await send(pilot, app, "again")  # the server is back: the next message is answered
        await wait_until(
            pilot,
            lambda: (
                not app.running
                and app.chat.last_answer is not None
                and "word49" in app.chat.last_answer.text
            ),
        )
        assert errors(app), "the cut stream was reported in the chat"


async def test_a_missing_model_is_an_error_in_the_chat(
    make_app: MakeApp, ollama: OllamaTestServer
) -> None:
    ollama.faults.missing_models.add("qwen2.5:7b")
    app = make_app([Reply("unused")], settings=f"ollama: {{host: '{ollama.url}'}}\n", agent=AGENT)
    async with app.run_test(size=(80, 24)) as pilot:
        await send(pilot, app, "hello")
        await wait_until(pilot, lambda: not app.running and bool(errors(app)))
        assert "qwen2.5" in errors(app)[0], errors(app)


async def test_after_a_model_failure_the_session_switches_to_the_embedded_model(
    make_app: MakeApp, ollama: OllamaTestServer, script_name: str
) -> None:
    ollama.faults.missing_models.add("qwen2.5:7b")
    app = make_app(
        [Reply("answered in-process")],
        settings=f"ollama: {{host: '{ollama.url}'}}\n",
        agent=AGENT,
    )
    app.session_model = f"scripted:{script_name}"  # stands in for embedded:smollm2
    async with app.run_test(size=(80, 24)) as pilot:
        await send(pilot, app, "hello")
        await wait_until(pilot, lambda: not app.running and bool(errors(app)))
        assert "f4" in errors(app)[0]  # the chat says how to go on
        await pilot.press("f4")
        await send(pilot, app, "hello again")
        await wait_until(
            pilot,
            lambda: (
                not app.running
                and app.chat.last_answer is not None
                and app.chat.last_answer.text == "answered in-process"
            ),
        )
        assert f"scripted:{script_name}" in str(app.sub_title)
    # the agent's own file still names its model: only this session moved
    assert app.backend.describe_agent("shop").model == "ollama:qwen2.5:7b"
