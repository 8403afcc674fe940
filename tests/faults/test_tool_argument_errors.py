"""Tool calls whose arguments are not a JSON object (and cannot be repaired safely) do not
end the run: the call is marked with the reason, and the model is told."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from langchain.agents import create_agent
from langchain_core.messages import HumanMessage
from langchain_core.tools import tool

from springlet.models import ollama as ollama_provider
from springlet.models.ollama import ollama_chat_model
from springlet.models.ollama_catalog import forget_cached_models
from springlet.models.tool_arguments import INVALID_KEY
from springlet.testing import Reply, ScriptedChatModel, ToolCall
from springlet.testing.ollama_server import OllamaTestServer

pytestmark = pytest.mark.integration


@tool
def lookup(order_id: str) -> str:
    """Look up an order."""
    return order_id


@pytest.fixture
def server() -> Iterator[OllamaTestServer]:
    forget_cached_models()
    ollama_provider.forget_tool_support()
    backend = ScriptedChatModel(steps=[ToolCall("lookup", {"order_id": "A-1"}), Reply("sorry")])
    with OllamaTestServer(backend) as running:
        yield running
    forget_cached_models()
    ollama_provider.forget_tool_support()


@pytest.mark.parametrize(
    ("fault", "kind"), [("list", "a list, not a JSON object"), ("string", "not valid JSON")]
)
def test_bad_arguments_are_refused_with_the_reason(
    server: OllamaTestServer, fault: str, kind: str
) -> None:
    if fault == "list":
        server.faults.tool_arguments_as_list = True
    else:
        server.faults.malformed_tool_call = True
    agent = create_agent(ollama_chat_model("qwen2.5:7b", server.url), [lookup])
    messages = agent.invoke({"messages": [HumanMessage("find A-1")]})["messages"]
    call_message = messages[1]
    (call,) = call_message.tool_calls
    assert call["name"] == "lookup" and call["args"] == {}
    assert kind in call_message.response_metadata[INVALID_KEY][call["id"]]
    assert messages[2].type == "tool" and messages[2].status == "error"
    assert messages[-1].content == "sorry"
