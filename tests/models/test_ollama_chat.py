"""ChatOllama through springlet, over HTTP against the Ollama-protocol test server."""

from __future__ import annotations

from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.tools import tool
from pydantic import BaseModel

from springlet.errors import ContextOverflowError
from springlet.models.ollama import estimate_tokens, ollama_chat_model
from springlet.models.options import ModelOptions
from springlet.testing import Reply, ScriptedChatModel, ToolCall
from springlet.testing.ollama_protocol import ServedModel
from springlet.testing.ollama_server import OllamaTestServer

pytestmark = pytest.mark.integration


@tool
def get_order_status(order_id: str) -> str:
    """Look up the shipping status of an order by its id."""
    return f"order {order_id}: shipped"


def test_chat_surfaces_usage_and_durations(ollama_server: OllamaTestServer) -> None:
    model = ollama_chat_model("qwen2.5:7b", ollama_server.url)
    message = model.invoke("why is the sky blue")
    assert message.content == "the sky is blue"
    assert message.usage_metadata is not None
    assert message.usage_metadata["input_tokens"] == 5
    assert message.usage_metadata["output_tokens"] == 4
    assert message.response_metadata["total_duration"] > 0
    assert message.response_metadata["done_reason"] == "stop"


def test_options_and_keep_alive_reach_the_server(ollama_server: OllamaTestServer) -> None:
    options = ModelOptions(temperature=0.1, seed=7, num_ctx=8192, min_p=0.05, stop=["END"])
    model = ollama_chat_model("qwen2.5:7b", ollama_server.url, options=options, keep_alive="10m")
    model.invoke("hi")
    sent = ollama_server.requests_to("/api/chat")[-1]
    assert sent["options"] == {
        "temperature": 0.1,
        "seed": 7,
        "num_ctx": 8192,
        "min_p": 0.05,
        "stop": ["END"],
    }
    assert sent["keep_alive"] == "10m"


def test_stream_yields_tokens_as_they_come(ollama_server: OllamaTestServer) -> None:
    model = ollama_chat_model("qwen2.5:7b", ollama_server.url)
    texts = [chunk.text for chunk in model.stream("hi")]
    assert texts[:4] == ["the ", "sky ", "is ", "blue"]


async def test_async_stream_and_invoke(ollama_server: OllamaTestServer) -> None:
    model = ollama_chat_model("qwen2.5:7b", ollama_server.url)
    texts = [chunk.text async for chunk in model.astream("hi")]
    assert "".join(texts) == "the sky is blue"
    assert (await model.ainvoke("hi")).content == "the sky is blue"


def test_tool_call_round_trip_in_an_agent(ollama_server: OllamaTestServer) -> None:
    ollama_server.backend = ScriptedChatModel(
        steps=[ToolCall("get_order_status", {"order_id": "A-1001"}), Reply("It shipped.")]
    )
    agent = create_agent(ollama_chat_model("qwen2.5:7b", ollama_server.url), [get_order_status])
    result = agent.invoke({"messages": [HumanMessage("where is A-1001?")]})
    assert result["messages"][-1].content == "It shipped."
    second = ollama_server.requests_to("/api/chat")[1]
    tool_message = second["messages"][-1]
    assert tool_message["role"] == "tool" and tool_message["content"] == "order A-1001: shipped"
    assert second["tools"][0]["function"]["name"] == "get_order_status"


class Summary(BaseModel):
    summary: str
    words: int


def test_structured_output_sends_the_json_schema(ollama_server: OllamaTestServer) -> None:
    ollama_server.backend = ScriptedChatModel(steps=[Reply('{"summary": "a cat", "words": 2}')])
    model = ollama_chat_model("qwen2.5:7b", ollama_server.url)
    result = model.with_structured_output(Summary).invoke("summarize")
    assert result == Summary(summary="a cat", words=2)
    sent_format = ollama_server.requests_to("/api/chat")[-1]["format"]
    assert sent_format["properties"]["words"]["type"] == "integer"


def _decide(messages: list[BaseMessage], tools: list[dict[str, Any]]) -> Reply:
    last = str(messages[-1].content)
    if last.startswith("Result of get_order_status"):
        return Reply('{"answer": "Your order has shipped."}')
    return Reply('{"tool": "get_order_status", "arguments": {"order_id": "A-1001"}}')


def test_model_without_native_tools_runs_an_agent(ollama_server: OllamaTestServer) -> None:
    """gemma:2b has no `tools` capability: prompted calls constrained by a format schema."""
    ollama_server.backend = ScriptedChatModel(respond=_decide)
    agent = create_agent(ollama_chat_model("gemma:2b", ollama_server.url), [get_order_status])
    result = agent.invoke({"messages": [HumanMessage("where is A-1001?")]})
    messages = result["messages"]
    assert isinstance(messages[1], AIMessage)
    assert messages[1].tool_calls[0]["args"] == {"order_id": "A-1001"}
    assert messages[2].content == "order A-1001: shipped"
    assert messages[-1].content == "Your order has shipped."
    chats = ollama_server.requests_to("/api/chat")
    assert all(not body.get("tools") for body in chats)
    schema = chats[0]["format"]
    assert schema["anyOf"][0]["properties"]["tool"]["enum"] == ["get_order_status"]
    assert "order_id" in schema["anyOf"][0]["properties"]["arguments"]["properties"]


def test_fallback_after_ollama_refuses_tools(ollama_server: OllamaTestServer) -> None:
    """An older Ollama lists no capabilities: the 400 answer itself triggers the fallback."""
    ollama_server.models["old:1b"] = ServedModel("old:1b", capabilities=())
    ollama_server.backend = ScriptedChatModel(respond=_decide)
    model = ollama_chat_model("old:1b", ollama_server.url)
    bound = model.bind_tools([get_order_status])
    message = bound.invoke("where is A-1001?")
    assert isinstance(message, AIMessage)
    assert message.tool_calls[0]["name"] == "get_order_status"
    refused, retried = ollama_server.requests_to("/api/chat")
    assert refused["tools"] and not retried.get("tools")
    bound.invoke("again")  # remembered: no second refusal
    assert not ollama_server.requests_to("/api/chat")[-1].get("tools")


def test_num_ctx_is_raised_to_fit_a_long_prompt(ollama_server: OllamaTestServer) -> None:
    model = ollama_chat_model("qwen2.5:7b", ollama_server.url, options=ModelOptions(num_ctx=2048))
    long_text = "word " * 12000  # ~3000 tokens by the estimate
    model.invoke(long_text)
    sent = ollama_server.requests_to("/api/chat")[-1]["options"]["num_ctx"]
    needed = estimate_tokens([HumanMessage(long_text)])
    assert sent >= needed and sent % 1024 == 0 and sent <= 32768


def test_prompt_beyond_the_context_window_is_reported(ollama_server: OllamaTestServer) -> None:
    model = ollama_chat_model("gemma:2b", ollama_server.url)  # context length 8192
    with pytest.raises(ContextOverflowError, match="context window is 8192 tokens"):
        model.invoke("word " * 40000)
    assert ollama_server.requests_to("/api/chat") == []


def test_cjk_text_counts_one_token_per_character() -> None:
    assert estimate_tokens([HumanMessage("你好世界" * 100)]) >= 400
    assert estimate_tokens([HumanMessage("abcd" * 100)]) < 120


async def test_async_prompted_tool_calls(ollama_server: OllamaTestServer) -> None:
    ollama_server.backend = ScriptedChatModel(respond=_decide)
    bound = ollama_chat_model("gemma:2b", ollama_server.url).bind_tools([get_order_status])
    message = await bound.ainvoke("where is A-1001?")
    assert isinstance(message, AIMessage)
    assert message.tool_calls[0]["args"] == {"order_id": "A-1001"}
    total: Any = None
    async for chunk in bound.astream("where is A-1001?"):
        total = chunk if total is None else total + chunk
    assert [call["name"] for call in total.tool_calls] == ["get_order_status"]


async def test_async_auto_pull(ollama_server: OllamaTestServer) -> None:
    model = ollama_chat_model("llama3.2:1b", ollama_server.url, auto_pull=True)
    assert (await model.ainvoke("hi")).content == "the sky is blue"
    assert len(ollama_server.requests_to("/api/pull")) == 1
