"""Tool calls whose arguments are not a JSON object name the tool and the field."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from langchain.agents import create_agent
from langchain_core.messages import HumanMessage
from langchain_core.tools import tool

from springlet.errors import ModelServerError
from springlet.models import ollama as ollama_provider
from springlet.models.ollama import ollama_chat_model
from springlet.models.ollama_catalog import forget_cached_models
from springlet.testing import ScriptedChatModel, ToolCall
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
    backend = ScriptedChatModel(steps=[ToolCall("lookup", {"order_id": "A-1"})])
    with OllamaTestServer(backend) as running:
        yield running
    forget_cached_models()
    ollama_provider.forget_tool_support()


@pytest.mark.parametrize(("fault", "kind"), [("list", "a list"), ("string", "str '")])
def test_bad_arguments_name_the_tool_and_the_field(
    server: OllamaTestServer, fault: str, kind: str
) -> None:
    if fault == "list":
        server.faults.tool_arguments_as_list = True
    else:
        server.faults.malformed_tool_call = True
    agent = create_agent(ollama_chat_model("qwen2.5:7b", server.url), [lookup])
    with pytest.raises(ModelServerError) as info:
        agent.invoke({"messages": [HumanMessage("find A-1")]})
    text = str(info.value)
    assert "tool call 'lookup'" in text
    assert "message.tool_calls[0].function.arguments" in text
    assert kind in text and "not a JSON object" in text
    assert "validation error for ChatResponse" not in text
