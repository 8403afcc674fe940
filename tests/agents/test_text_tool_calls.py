"""Tool calls written as text are executed (or reported), never shown as the answer."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from springlet import Workspace
from springlet.agents.text_tool_calls import text_tool_calls
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
