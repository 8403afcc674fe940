"""Tool calls written as text are executed (or reported), never shown as the answer."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from springlet import Workspace
from springlet.agents.events import ModelToken
from springlet.agents.text_tool_calls import text_tool_calls
from springlet.agents.token_gate import TokenGate
from springlet.testing import Reply

MakeWorkspace = Callable[..., Workspace]
TOOLS = ["get_order_status", "refund_order"]


@pytest.mark.parametrize(
    "text",
    [
        '<tool_call>\n{"name": "get_order_status", "arguments": {"order_id": "A-1"}}\n</tool_call>',
        '{"name": "get_order_status", "arguments": {"order_id": "A-1"}}',
        '```json\n{"tool": "get_order_status", "parameters": {"order_id": "A-1"}}\n```',
        '{"function": {"name": "get_order_status", "arguments": "{\\"order_id\\": \\"A-1\\"}"}}',
        '<tool_call>{"name": "get_order_status", "arguments": {"order_id": "A-1"}}',  # unclosed
    ],
)
def test_recognised_forms(text: str) -> None:
    [call] = text_tool_calls(text, TOOLS)
    assert (call["name"], call["args"]) == ("get_order_status", {"order_id": "A-1"})
    assert call["id"]


@pytest.mark.parametrize(
    "text",
    [
        "The order has shipped.",
        '{"name": "Ann", "age": 3}',  # a JSON answer, not naming a tool
        'Use {"name": "get_order_status"} like this.',  # prose around JSON
    ],
)
def test_ordinary_answers_are_left_alone(text: str) -> None:
    assert text_tool_calls(text, TOOLS) == []


def test_several_tagged_calls() -> None:
    text = (
        '<tool_call>{"name": "get_order_status", "arguments": {"order_id": "A-1"}}</tool_call>\n'
        '<tool_call>{"name": "refund_order", "arguments": {"order_id": "A-2"}}</tool_call>'
    )
    assert [c["name"] for c in text_tool_calls(text, TOOLS)] == TOOLS


def test_a_text_tool_call_is_executed_by_the_agent(make_workspace: MakeWorkspace) -> None:
    ws = make_workspace(
        [
            Reply('<tool_call>{"name": "get_order_status", "arguments": {"order_id": "A-1001"}}'),
            Reply("It has shipped."),
        ],
        "tools: [get_order_status]\n",
    )
    result = ws.agent("a").run("Where is A-1001?")
    assert result.text == "It has shipped."
    assert [(c.name, c.result) for c in result.tool_calls] == [
        ("get_order_status", "Order A-1001 is shipped.")
    ]
    assert "<tool_call>" not in str(result.messages)


def test_a_tagged_call_to_an_unknown_tool_is_reported_to_the_model(
    make_workspace: MakeWorkspace,
) -> None:
    ws = make_workspace(
        [Reply('<tool_call>{"name": "fly", "arguments": {}}</tool_call>'), Reply("Sorry.")],
        "tools: [get_order_status]\n",
    )
    result = ws.agent("a").run("fly me")
    assert result.text == "Sorry."
    [call] = result.tool_calls
    assert not call.ok
    assert "no tool named 'fly'" in call.result


def test_streams_never_show_a_tool_call_written_as_text(make_workspace: MakeWorkspace) -> None:
    ws = make_workspace(
        [
            Reply('{"name": "get_order_status", "arguments": {"order_id": "A-1001"}}'),
            Reply('{"status": "shipped"} is what the shop says.'),
        ],
        "tools: [get_order_status]\n",
    )
    events = list(ws.agent("a").stream("Where is A-1001?"))
    shown = {}
    for event in events:
        if isinstance(event, ModelToken):
            shown[event.step] = shown.get(event.step, "") + event.text
    # step 1 was a call: none of it streamed; step 2 only looked like one at first, so
    # it was held and then shown whole, before its model message
    assert shown == {2: '{"status": "shipped"} is what the shop says.'}
    kinds = [e.kind for e in events]
    assert kinds.index("model_token") < kinds.index(
        "model_message", kinds.index("tool_call_started")
    )


@pytest.mark.parametrize(
    ("tokens", "became_call", "shown_now", "shown_at_end"),
    [
        (["The ", "order ", "shipped."], False, "The order shipped.", ""),
        (["  <tool", "_call>", '{"name": "x"}'], True, "", ""),
        (["{", '"a": 1', "} is JSON"], False, "", '{"a": 1} is JSON'),
        (["`", "``json\n{}", "```"], True, "", ""),
        (["Use ", "{braces}"], False, "Use {braces}", ""),
    ],
)
def test_token_gate(
    tokens: list[str], became_call: bool, shown_now: str, shown_at_end: str
) -> None:
    gate = TokenGate()
    assert "".join(gate.feed(3, t) for t in tokens) == shown_now
    assert gate.settle(3, became_tool_call=became_call) == shown_at_end
    assert gate.feed(4, "Next step.") == "Next step."  # steps are independent
