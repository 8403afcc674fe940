"""Malformed tool-call arguments from a local model: repaired when the repair is
unambiguous and fits the tool's schema (and recorded on the tool span); otherwise sent
back to the model as an error it can act on."""

from __future__ import annotations

import pytest

from springlet.agents.tool_guard import ARGUMENTS_REPAIRED
from springlet.models.tool_arguments import repair_arguments
from springlet.testing import OllamaTestServer, Reply, ScriptedChatModel, ToolCall
from springlet.tracing import MemorySink, SpanKind

from .conftest import MakeWs

pytestmark = pytest.mark.integration

SCHEMA = {
    "type": "object",
    "properties": {"order_ids": {"type": "array", "items": {"type": "string"}}},
    "required": ["order_ids"],
}


def _script(server: OllamaTestServer) -> None:
    server.backend = ScriptedChatModel(
        steps=[ToolCall("get_orders", {"order_ids": ["A-1", "B-2"]}), Reply("Both shipped.")]
    )


def _tool_spans(ws: object, sink: MemorySink) -> list[dict[str, object]]:
    assert ws.tracer().flush()  # type: ignore[attr-defined]
    return [s.attributes for s in sink.spans() if s.kind is SpanKind.TOOL]


@pytest.mark.parametrize(
    "written",
    [
        "{'order_ids': ['A-1', 'B-2']}",  # single quotes
        '{"order_ids": ["A-1", "B-2"],}',  # trailing comma
        '{order_ids: ["A-1", "B-2"]}',  # unquoted key
        '{"order_ids": "[\\"A-1\\", \\"B-2\\"]"}',  # a stringified array
    ],
)
def test_malformed_arguments_are_repaired_and_recorded(
    server: OllamaTestServer, make_ws: MakeWs, sink: MemorySink, written: str
) -> None:
    _script(server)
    server.faults.tool_arguments_text = written
    ws = make_ws()
    result = ws.agent("a").run("Where are A-1 and B-2?")
    assert result.status == "ok", result.error
    assert [(c.name, c.arguments, c.ok) for c in result.tool_calls] == [
        ("get_orders", {"order_ids": ["A-1", "B-2"]}, True)
    ]
    assert result.text == "Both shipped."
    (span,) = _tool_spans(ws, sink)
    assert span[ARGUMENTS_REPAIRED] == written


def test_stringified_array_values_are_decoded(
    server: OllamaTestServer, make_ws: MakeWs, sink: MemorySink
) -> None:
    _script(server)
    server.faults.stringified_arguments = True
    ws = make_ws()
    result = ws.agent("a").run("Where are A-1 and B-2?")
    assert result.tool_calls[0].arguments == {"order_ids": ["A-1", "B-2"]}
    (span,) = _tool_spans(ws, sink)
    assert "[" in str(span[ARGUMENTS_REPAIRED])


def test_unrepairable_arguments_go_back_to_the_model(
    server: OllamaTestServer, make_ws: MakeWs, sink: MemorySink
) -> None:
    _script(server)
    server.faults.malformed_tool_call = True  # cut off: `{"order_ids": ["A-1", "B-2`
    ws = make_ws()
    result = ws.agent("a").run("Where are A-1 and B-2?")
    assert result.status == "ok", result.error
    (call,) = result.tool_calls
    assert not call.ok
    assert "could not be used" in call.result and "not valid JSON" in call.result
    tool_message = server.requests_to("/api/chat")[-1]["messages"][-1]
    assert tool_message["role"] == "tool" and "could not be used" in tool_message["content"]
    assert not _tool_spans(ws, sink)  # the tool never ran


def test_text_tool_calls_are_repaired_too(
    server: OllamaTestServer, make_ws: MakeWs, sink: MemorySink
) -> None:
    written = "<tool_call>{'name': 'get_orders', 'arguments': {'order_ids': ['A-1',],}}</tool_call>"
    server.backend = ScriptedChatModel(steps=[Reply(written), Reply("Shipped.")])
    ws = make_ws()
    result = ws.agent("a").run("Where is A-1?")
    assert result.tool_calls[0].arguments == {"order_ids": ["A-1"]}
    assert result.text == "Shipped."
    (span,) = _tool_spans(ws, sink)
    assert span[ARGUMENTS_REPAIRED] == written.removeprefix("<tool_call>").removesuffix(
        "</tool_call>"
    )


def test_prompted_tool_calls_are_repaired(server: OllamaTestServer, make_ws: MakeWs) -> None:
    """A model without native tools answers the prompted JSON decision with single quotes."""
    server.backend = ScriptedChatModel(
        steps=[
            Reply("{'tool': 'get_orders', 'arguments': {'order_ids': ['A-1']},}"),
            Reply('{"answer": "ok"}'),
        ]
    )
    ws = make_ws(model="ollama:gemma:2b")
    result = ws.agent("a").run("Where is A-1?")
    assert result.tool_calls[0].arguments == {"order_ids": ["A-1"]}
    assert result.text == "ok"


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ('{"order_ids": ["A-1"', "not valid JSON"),  # cut off: a guess away
        ("{'order_ids': 'A-1'}", "do not fit the schema"),  # repaired, but not an array
        ([["A-1"]], "a list, not a JSON object"),
    ],
)
def test_ambiguous_repairs_are_refused(raw: object, why: str) -> None:
    outcome = repair_arguments(raw, SCHEMA)
    assert outcome.error is not None and why in outcome.error
    assert outcome.arguments == {}


def test_valid_arguments_are_left_alone() -> None:
    outcome = repair_arguments({"order_ids": ["A-1"]}, SCHEMA)
    assert outcome.arguments == {"order_ids": ["A-1"]} and not outcome.repaired
    assert outcome.error is None
