"""The context budget over the Ollama protocol: a request over the budget is compacted
(and the model still receives every tool call with its result), a server that silently
truncates is detected, a 5 MB tool result is capped."""

from __future__ import annotations

import pytest

from springlet.agents.compaction import BUDGET, TIERS, TOKENS_AFTER, TOKENS_BEFORE
from springlet.agents.events import ContextCompacted
from springlet.models.ollama_budget import REPORTED_TOKENS, SENT_TOKENS
from springlet.models.token_budget import forget_calibration
from springlet.testing import OllamaTestServer, Reply, ScriptedChatModel, ToolCall
from springlet.testing.ollama_protocol import ServedModel
from springlet.tracing import MemorySink, SpanKind

from .conftest import MakeWs

pytestmark = pytest.mark.integration

SMALL = ServedModel("small:3b", context_length=2048)


@pytest.fixture(autouse=True)
def _fresh_calibration() -> None:
    forget_calibration()


def _assert_every_call_has_its_result(messages: list[dict[str, object]]) -> None:
    """Ollama's format: each assistant tool call is answered by the tool messages after it."""
    pending: list[str] = []
    for message in messages:
        if message["role"] == "assistant":
            assert not pending, f"calls without results: {pending}"
            pending = [str(c["id"]) for c in message.get("tool_calls") or []]  # type: ignore[index, union-attr]
        elif message["role"] == "tool":
            assert message["tool_call_id"] in pending, "a tool result without its call"
            pending.remove(str(message["tool_call_id"]))
    assert not pending, f"calls without results: {pending}"


def _spans(ws: object, sink: MemorySink, kind: SpanKind) -> list[object]:
    assert ws.tracer().flush()  # type: ignore[attr-defined]
    return [s for s in sink.spans() if s.kind is kind]


def test_over_budget_tool_results_are_stubbed_and_pairs_kept(
    server: OllamaTestServer, make_ws: MakeWs, sink: MemorySink
) -> None:
    server.models[SMALL.full_name] = SMALL
    server.backend = ScriptedChatModel(
        steps=[
            ToolCall("big_report", {"size": 3000}),
            ToolCall("big_report", {"size": 3001}),
            ToolCall("big_report", {"size": 3002}),
            Reply("Three reports read."),
        ]
    )
    ws = make_ws(model="ollama:small:3b", tools="[big_report]")
    events = list(ws.agent("a").stream("Read three reports."))
    result = events[-1].result  # type: ignore[attr-defined]
    assert result.status == "ok", result.error
    compactions = [e for e in events if isinstance(e, ContextCompacted)]
    assert compactions and all(e.tokens_after <= e.budget < e.tokens_before for e in compactions)
    assert "tool results stubbed" in compactions[-1].tiers
    last = server.requests_to("/api/chat")[-1]["messages"]
    assert last[0]["role"] == "system" and last[0]["content"].startswith("You help.")
    _assert_every_call_has_its_result(last)
    tool_texts = [m["content"] for m in last if m["role"] == "tool"]
    assert len(tool_texts) == 3
    assert "removed to fit the context window" in tool_texts[0]
    assert tool_texts[-1] == "x" * 3002  # the latest result is never stubbed
    (span, *_) = _spans(ws, sink, SpanKind.ADVISOR)
    attributes = span.attributes  # type: ignore[attr-defined]
    assert attributes[TOKENS_BEFORE] > attributes[BUDGET] >= attributes[TOKENS_AFTER]
    assert "tool results stubbed" in attributes[TIERS]


def test_oldest_turns_are_dropped_whole(server: OllamaTestServer, make_ws: MakeWs) -> None:
    server.models[SMALL.full_name] = SMALL
    server.backend = ScriptedChatModel(respond=lambda messages, tools: Reply("Noted."))
    ws = make_ws("advisors: [memory]\n", model="ollama:small:3b", tools="[]")
    agent = ws.agent("a")
    for turn in ("first", "second", "third"):
        # 600 words: the server's tokens, which springlet's count calibrates to
        assert agent.run(f"{turn}: " + "word " * 600, session_id="s").status == "ok"
    sent = server.requests_to("/api/chat")[-1]["messages"]
    text = str(sent)
    assert "third:" in text and "second:" in text and "first:" not in text
    assert sent[0]["role"] == "system" and sent[1]["role"] == "user"


def test_earlier_steps_are_summarized_by_the_named_model(
    server: OllamaTestServer, make_ws: MakeWs
) -> None:
    from springlet.testing import register_script, unregister_script

    register_script("summarizer", [Reply("Orders A-0 to A-8 are all shipped.")])
    try:
        note = "n" * 200  # long arguments: the steps outgrow the budget, their results do not
        steps = [ToolCall("get_orders", {"order_ids": [f"A-{i}"], "note": note}) for i in range(10)]
        server.backend = ScriptedChatModel(steps=[*steps, Reply("All shipped.")])
        ws = make_ws(
            "limits: {max_steps: 20}\ncompaction: {max_context_tokens: 600, "
            "summary_model: 'scripted:summarizer'}\n"
        )
        result = ws.agent("a").run("Check ten orders.")
    finally:
        unregister_script("summarizer")
    assert result.status == "ok", result.error
    last = server.requests_to("/api/chat")[-1]["messages"]
    assert any("Orders A-0 to A-8 are all shipped." in m["content"] for m in last)
    _assert_every_call_has_its_result(last)


def test_a_silently_truncating_server_is_detected(
    server: OllamaTestServer, make_ws: MakeWs
) -> None:
    """A prompt of many one-letter words: springlet's estimate undercounts it, so it is
    sent within num_ctx by the estimate but not by the server's own count."""
    server.faults.ignore_truncate = True
    server.backend = ScriptedChatModel(respond=lambda messages, tools: Reply("ok"))
    ws = make_ws(tools="[]")
    result = ws.agent("a").run("a " * 5000)
    assert result.status == "error"
    assert "silently dropped" in str(result.error)
    assert "system prompt and the tool definitions" in str(result.error)


def test_truncate_false_makes_overflow_an_error(server: OllamaTestServer, make_ws: MakeWs) -> None:
    server.backend = ScriptedChatModel(respond=lambda messages, tools: Reply("ok"))
    ws = make_ws(tools="[]")
    result = ws.agent("a").run("a " * 5000)
    assert server.requests_to("/api/chat")[-1]["truncate"] is False
    assert result.status == "error" and "does not fit its context window" in str(result.error)


def test_the_model_span_records_sent_and_evaluated_tokens(
    server: OllamaTestServer, make_ws: MakeWs, sink: MemorySink
) -> None:
    server.backend = ScriptedChatModel(respond=lambda messages, tools: Reply("ok"))
    ws = make_ws(tools="[]")
    assert ws.agent("a").run("hello there").status == "ok"
    (span,) = _spans(ws, sink, SpanKind.MODEL)
    attributes = span.attributes  # type: ignore[attr-defined]
    assert attributes[SENT_TOKENS] > 0 and attributes[REPORTED_TOKENS] > 0


def test_a_5_mb_tool_result_is_capped(server: OllamaTestServer, make_ws: MakeWs) -> None:
    server.backend = ScriptedChatModel(
        steps=[ToolCall("big_report", {"size": 5_000_000}), Reply("It is big.")]
    )
    ws = make_ws("compaction: {max_tool_result_tokens: 2000}\n", tools="[big_report]")
    result = ws.agent("a").run("How big is the report?")
    assert result.status == "ok", result.error
    tool_message = server.requests_to("/api/chat")[-1]["messages"][-1]
    assert tool_message["role"] == "tool"
    assert len(tool_message["content"]) < 9000
    assert "cut here to about 2000 tokens" in tool_message["content"]
    assert "4992000 more characters were left out" in tool_message["content"]
