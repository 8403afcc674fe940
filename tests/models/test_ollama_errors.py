"""Every failure a user can hit on the Ollama path becomes an actionable springlet error."""

from __future__ import annotations

import socket

import ollama
import pytest
from langchain.agents import create_agent
from langchain_core.messages import HumanMessage
from langchain_core.tools import tool

from springlet.errors import (
    ModelNotFoundError,
    ModelServerError,
    ModelStreamError,
    ModelTimeoutError,
    ModelUnavailableError,
)
from springlet.models.ollama import ollama_chat_model, ollama_embeddings
from springlet.models.ollama_errors import translate
from springlet.testing import Reply, ScriptedChatModel, ToolCall
from springlet.testing.ollama_server import OllamaTestServer

pytestmark = pytest.mark.integration


def _free_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_unreachable_host_asks_whether_ollama_serve_runs() -> None:
    url = _free_port_url()
    with pytest.raises(ModelUnavailableError) as info:
        ollama_chat_model("qwen2.5:7b", url).invoke("hi")
    assert f"is `ollama serve` running at {url}?" in str(info.value)


def test_crashed_server_is_unavailable(ollama_server: OllamaTestServer) -> None:
    ollama_server.faults.down = True
    with pytest.raises(ModelUnavailableError, match="closed the connection without answering"):
        ollama_chat_model("qwen2.5:7b", ollama_server.url).invoke("hi")


def test_missing_model_suggests_pulling_it(ollama_server: OllamaTestServer) -> None:
    with pytest.raises(ModelNotFoundError) as info:
        ollama_chat_model("llama3.2:1b", ollama_server.url).invoke("hi")
    assert "does not have the model 'llama3.2:1b'" in str(info.value)
    assert "springlet models pull llama3.2:1b" in str(info.value)


def test_auto_pull_pulls_then_answers(ollama_server: OllamaTestServer) -> None:
    model = ollama_chat_model("llama3.2:1b", ollama_server.url, auto_pull=True)
    assert model.invoke("hi").content == "the sky is blue"
    assert ollama_server.requests_to("/api/pull") == [
        {"model": "llama3.2:1b", "insecure": False, "stream": True}
    ]


def test_http_500_carries_status_and_body(ollama_server: OllamaTestServer) -> None:
    ollama_server.faults.error_status = 500
    with pytest.raises(ModelServerError) as info:
        ollama_chat_model("qwen2.5:7b", ollama_server.url).invoke("hi")
    assert info.value.status_code == 500
    assert "an error was encountered while running the model" in str(info.value)


def test_bad_json_is_a_server_error(ollama_server: OllamaTestServer) -> None:
    ollama_server.faults.bad_json = True
    with pytest.raises(ModelServerError, match="not valid Ollama API JSON"):
        ollama_chat_model("qwen2.5:7b", ollama_server.url).invoke("hi")


def test_cut_stream_is_a_stream_error(ollama_server: OllamaTestServer) -> None:
    ollama_server.faults.cut_stream_after = 2
    model = ollama_chat_model("qwen2.5:7b", ollama_server.url)
    received: list[str] = []
    with pytest.raises(ModelStreamError, match="stopped before it was complete"):
        for chunk in model.stream("hi"):
            received.append(chunk.text)
    assert received == ["the ", "sky "]  # what arrived is kept by the caller


async def test_cut_stream_async(ollama_server: OllamaTestServer) -> None:
    ollama_server.faults.cut_stream_after = 1
    with pytest.raises(ModelStreamError):
        await ollama_chat_model("qwen2.5:7b", ollama_server.url).ainvoke("hi")


def test_error_in_the_middle_of_a_stream(ollama_server: OllamaTestServer) -> None:
    ollama_server.faults.stream_error = "model runner has unexpectedly stopped"
    with pytest.raises(ModelStreamError, match="failed in the middle of the answer"):
        ollama_chat_model("qwen2.5:7b", ollama_server.url).invoke("hi")


def test_timeout_names_the_setting(ollama_server: OllamaTestServer) -> None:
    ollama_server.faults.delay_s = 0.5
    model = ollama_chat_model("qwen2.5:7b", ollama_server.url, timeout_s=0.1)
    with pytest.raises(ModelTimeoutError, match=r"within 0.1 s") as info:
        model.invoke("hi")
    assert "ollama.timeout_s" in str(info.value)


@tool
def lookup(order_id: str) -> str:
    """Look up an order."""
    return order_id


def test_malformed_tool_call_is_not_a_server_error(ollama_server: OllamaTestServer) -> None:
    """Cut-off arguments cannot be repaired; the run goes on and the model is told."""
    ollama_server.backend = ScriptedChatModel(
        steps=[ToolCall("lookup", {"order_id": "A-1"}), Reply("sorry")]
    )
    ollama_server.faults.malformed_tool_call = True
    agent = create_agent(ollama_chat_model("qwen2.5:7b", ollama_server.url), [lookup])
    messages = agent.invoke({"messages": [HumanMessage("find A-1")]})["messages"]
    assert messages[2].type == "tool" and messages[2].status == "error"
    assert messages[-1].content == "sorry"


def test_embeddings_errors_are_translated(ollama_server: OllamaTestServer) -> None:
    with pytest.raises(ModelNotFoundError, match="springlet models pull bge-m3"):
        ollama_embeddings("bge-m3", ollama_server.url).embed_query("hi")


def test_unknown_status_keeps_the_server_message() -> None:
    error = translate(ollama.ResponseError("busy", 503), "http://h:1", "m", None)
    assert isinstance(error, ModelServerError) and error.status_code == 503
    assert "HTTP 503" in str(error) and "busy" in str(error)
