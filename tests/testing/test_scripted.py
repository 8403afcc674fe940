"""The scripted chat model: steps, respond functions, streaming, tools, agents."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage
from langchain_core.tools import tool
from pydantic import BaseModel

from springlet.errors import ModelReferenceError
from springlet.testing import (
    Fail,
    Reply,
    ScriptedChatModel,
    ScriptExhaustedError,
    ToolCall,
    register_script,
    scripted_model,
    unregister_script,
)


@tool
def get_order_status(order_id: str) -> str:
    """Look up the shipping status of an order by its id."""
    return f"order {order_id}: shipped"


def test_steps_are_consumed_in_order() -> None:
    model = ScriptedChatModel(steps=[Reply("first"), Reply("second")])
    assert model.invoke("hi").content == "first"
    assert model.invoke("again").content == "second"
    assert model.remaining == 0


def test_running_out_names_the_script() -> None:
    model = ScriptedChatModel(steps=[Reply("only")], script_name="helpdesk")
    model.invoke("hi")
    with pytest.raises(ScriptExhaustedError, match="script 'helpdesk' ran out: it has 1 step"):
        model.invoke("more")


def test_tool_call_step_becomes_real_tool_calls() -> None:
    model = ScriptedChatModel(
        steps=[[ToolCall("a", {"x": 1}), ToolCall("b", {"y": "z"}, id="fixed"), Reply("two")]]
    )
    message = model.invoke("go")
    assert isinstance(message, AIMessage)
    assert [(c["name"], c["args"]) for c in message.tool_calls] == [
        ("a", {"x": 1}),
        ("b", {"y": "z"}),
    ]
    assert message.tool_calls[1]["id"] == "fixed"
    assert message.tool_calls[0]["id"] != message.tool_calls[1]["id"]
    assert message.content == "two"
    assert message.response_metadata["finish_reason"] == "tool_calls"


def test_fail_step_raises_the_given_error() -> None:
    model = ScriptedChatModel(steps=[Fail(TimeoutError("slow model"))])
    with pytest.raises(TimeoutError, match="slow model"):
        model.invoke("hi")


def test_usage_metadata_counts_words() -> None:
    message = ScriptedChatModel(steps=[Reply("three word answer")]).invoke("one two")
    assert message.usage_metadata == {"input_tokens": 2, "output_tokens": 3, "total_tokens": 5}


def test_stream_yields_word_by_word_and_tool_calls_last() -> None:
    model = ScriptedChatModel(steps=[[Reply("checking your order"), ToolCall("t", {"k": "v"})]])
    chunks = list(model.stream("hi"))
    texts = [c.content for c in chunks]
    assert texts[:3] == ["checking ", "your ", "order"]
    assert all(not c.tool_call_chunks for c in chunks[:-1])
    total: Any = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    assert isinstance(total, AIMessageChunk)
    assert total.content == "checking your order"
    assert [(c["name"], c["args"]) for c in total.tool_calls] == [("t", {"k": "v"})]
    assert total.usage_metadata is not None and total.usage_metadata["output_tokens"] > 0


async def test_async_stream_and_invoke() -> None:
    model = ScriptedChatModel(steps=[Reply("a b"), Reply("c")])
    chunks = [c.content async for c in model.astream("hi")]
    assert "".join(str(c) for c in chunks) == "a b"
    assert (await model.ainvoke("x")).content == "c"


def test_respond_function_sees_messages_and_bound_tools() -> None:
    seen: list[list[str]] = []

    def respond(messages: list[BaseMessage], tools: list[dict[str, Any]]) -> Reply:
        seen.append([t["function"]["name"] for t in tools])
        return Reply(f"you said {messages[-1].content}")

    model = ScriptedChatModel(respond=respond)
    bound = model.bind_tools([get_order_status])
    assert bound.invoke("hello").content == "you said hello"
    assert seen == [["get_order_status"]]
    assert model.calls[0].tools[0]["function"]["name"] == "get_order_status"
    assert model.remaining is None


def test_steps_are_thread_safe() -> None:
    model = ScriptedChatModel(steps=[Reply(str(i)) for i in range(40)])
    answers: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(10):
            text = str(model.invoke("go").content)
            with lock:
                answers.append(text)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers, key=int) == [str(i) for i in range(40)]


def test_needs_exactly_one_of_steps_or_respond() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        ScriptedChatModel()


class Summary(BaseModel):
    summary: str


def test_structured_output_from_json_text() -> None:
    model = ScriptedChatModel(steps=[Reply('{"summary": "short"}'), Reply("not json")])
    assert model.with_structured_output(Summary).invoke("x") == Summary(summary="short")
    raw = model.with_structured_output(Summary, include_raw=True).invoke("x")
    assert isinstance(raw, dict)
    assert raw["parsed"] is None and isinstance(raw["parsing_error"], ValueError)


def test_create_agent_loop_with_one_tool_call_then_answer() -> None:
    model = ScriptedChatModel(
        steps=[ToolCall("get_order_status", {"order_id": "A-1001"}), Reply("It has shipped.")]
    )
    agent = create_agent(model, tools=[get_order_status])
    result = agent.invoke({"messages": [HumanMessage("where is A-1001?")]})
    messages = result["messages"]
    assert messages[-1].content == "It has shipped."
    tool_message = messages[2]
    assert tool_message.type == "tool" and tool_message.content == "order A-1001: shipped"
    # the second model call saw the tool's answer
    assert model.calls[1].messages[-1].content == "order A-1001: shipped"
    assert model.calls[0].tools[0]["function"]["name"] == "get_order_status"


def test_registered_scripts_resolve_by_name() -> None:
    register_script("greeter", [Reply("hello")])
    shared = ScriptedChatModel(steps=[Reply("shared")])
    register_script("shared", shared)
    try:
        first, second = scripted_model("greeter"), scripted_model("greeter")
        assert first is not second  # a list of steps gives each resolution its own cursor
        assert first.invoke("x").content == second.invoke("y").content == "hello"
        assert scripted_model("shared") is shared
    finally:
        unregister_script("greeter")
        unregister_script("shared")
    with pytest.raises(ModelReferenceError, match="no script named 'greeter'"):
        scripted_model("greeter")


def test_create_agent_structured_answer_from_json_reply() -> None:
    model = ScriptedChatModel(steps=[Reply('{"summary": "shipped"}')])
    agent = create_agent(model, tools=[], response_format=Summary)
    result = agent.invoke({"messages": [HumanMessage("status?")]})
    assert result["structured_response"] == Summary(summary="shipped")
