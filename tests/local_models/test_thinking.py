"""Thinking: `think:` is sent to models that can think, thinking streams as its own
events and is kept on the model span, and it never reaches the answer, memory or
structured-output parsing - also when a model writes `<think>` inline."""

from __future__ import annotations

import logging

import pytest

from springlet.agents.events import ModelThinking, ModelToken
from springlet.models.thinking import ThinkSplitter, split_thinking
from springlet.testing import OllamaTestServer, Reply, ScriptedChatModel
from springlet.testing.ollama_protocol import ServedModel
from springlet.tracing import MemorySink, SpanKind

from .conftest import MakeWs

pytestmark = pytest.mark.integration

THINKER = ServedModel("qwen3:8b", capabilities=("completion", "tools", "thinking"))
ANSWER = "<think>The user wants 2+2. That is 4.</think>The answer is 4."


def _thinker(server: OllamaTestServer, *replies: str) -> None:
    server.models[THINKER.full_name] = THINKER
    server.backend = ScriptedChatModel(steps=[Reply(r) for r in replies])


def _model_spans(ws: object, sink: MemorySink) -> list[dict[str, object]]:
    assert ws.tracer().flush()  # type: ignore[attr-defined]
    return [s.attributes for s in sink.spans() if s.kind is SpanKind.MODEL]


@pytest.mark.parametrize("level", ["true", "high"])
def test_think_is_sent_and_thinking_streams_apart(
    server: OllamaTestServer, make_ws: MakeWs, sink: MemorySink, level: str
) -> None:
    _thinker(server, ANSWER)
    ws = make_ws(f"think: {level}\n", model="ollama:qwen3:8b", tools="[]")
    events = list(ws.agent("a").stream("What is 2+2?"))
    sent = server.requests_to("/api/chat")[-1]
    assert sent["think"] == (True if level == "true" else "high")
    thought = "".join(e.text for e in events if isinstance(e, ModelThinking))
    answer = "".join(e.text for e in events if isinstance(e, ModelToken))
    assert thought == "The user wants 2+2. That is 4."
    assert answer == "The answer is 4."
    result = events[-1].result  # type: ignore[attr-defined]
    assert result.text == "The answer is 4."
    assert "think" not in str(result.messages)
    (span,) = _model_spans(ws, sink)
    assert span["springlet.model.thinking"] == "The user wants 2+2. That is 4."


def test_thinking_never_enters_memory(server: OllamaTestServer, make_ws: MakeWs) -> None:
    _thinker(server, ANSWER, "Still 4.")
    ws = make_ws("think: true\nadvisors: [memory]\n", model="ollama:qwen3:8b", tools="[]")
    agent = ws.agent("a")
    assert agent.run("What is 2+2?", session_id="s").text == "The answer is 4."
    assert agent.run("And now?", session_id="s").text == "Still 4."
    replayed = server.requests_to("/api/chat")[-1]["messages"]
    assert [m["role"] for m in replayed] == ["system", "user", "assistant", "user"]
    assert replayed[2]["content"] == "The answer is 4."
    assert "thinking" not in replayed[2] and "2+2. That" not in str(replayed)


def test_think_false_is_sent_and_nothing_is_thought(
    server: OllamaTestServer, make_ws: MakeWs
) -> None:
    _thinker(server, ANSWER)
    ws = make_ws("think: false\n", model="ollama:qwen3:8b", tools="[]")
    events = list(ws.agent("a").stream("What is 2+2?"))
    assert server.requests_to("/api/chat")[-1]["think"] is False
    assert not [e for e in events if isinstance(e, ModelThinking)]
    assert events[-1].result.text == "The answer is 4."  # type: ignore[attr-defined]


def test_think_on_a_model_that_cannot_think_is_ignored_with_a_warning(
    server: OllamaTestServer, make_ws: MakeWs, caplog: pytest.LogCaptureFixture
) -> None:
    server.backend = ScriptedChatModel(steps=[Reply("Hello.")])
    ws = make_ws("think: high\n", tools="[]")
    with caplog.at_level(logging.WARNING):
        assert ws.agent("a").run("hi").text == "Hello."
    assert "think" not in server.requests_to("/api/chat")[-1]
    assert "think: high is ignored: 'qwen2.5:7b'" in caplog.text


def test_inline_think_tags_are_split_off(
    server: OllamaTestServer, make_ws: MakeWs, sink: MemorySink
) -> None:
    """A model without native thinking writes `<think>` in its content."""
    server.backend = ScriptedChatModel(steps=[Reply(ANSWER)])
    ws = make_ws(tools="[]")
    events = list(ws.agent("a").stream("What is 2+2?"))
    assert "".join(e.text for e in events if isinstance(e, ModelToken)) == "The answer is 4."
    assert "That is 4." in "".join(e.text for e in events if isinstance(e, ModelThinking))
    assert events[-1].result.text == "The answer is 4."  # type: ignore[attr-defined]
    (span,) = _model_spans(ws, sink)
    assert "That is 4." in str(span["springlet.model.thinking"])


def test_inline_thinking_does_not_break_structured_output(
    server: OllamaTestServer, make_ws: MakeWs
) -> None:
    server.backend = ScriptedChatModel(steps=[Reply('<think>JSON, then.</think>{"sum": 4}')])
    schema = "output:\n  type: object\n  properties:\n    sum: {type: integer}\n"
    ws = make_ws(schema + "  required: [sum]\n", tools="[]")
    result = ws.agent("a").run("What is 2+2?")
    assert result.status == "ok", result.error
    assert result.output == {"sum": 4}
    assert len(server.requests_to("/api/chat")) == 1  # no retry: the JSON parsed first time


@pytest.mark.parametrize("cut", range(1, len(ANSWER)))
def test_a_tag_cut_across_chunks_is_still_split(cut: int) -> None:
    splitter = ThinkSplitter()
    parts = [splitter.feed(ANSWER[:cut]), splitter.feed(ANSWER[cut:]), splitter.flush()]
    assert "".join(p[0] for p in parts) == "The user wants 2+2. That is 4."
    assert "".join(p[1] for p in parts) == "The answer is 4."


def test_a_close_tag_without_its_opening_ends_the_thinking() -> None:
    assert split_thinking("reasoning here</think>answer") == ("reasoning here", "answer")
    assert split_thinking("a < b and c > d") == ("", "a < b and c > d")
