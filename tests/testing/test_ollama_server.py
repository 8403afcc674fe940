"""The Ollama-protocol test server, driven by the real `ollama` client over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import ollama
import pytest

from springlet.models.hashed_embeddings import hashed_embedding
from springlet.testing import Fail, Reply, ScriptedChatModel, ToolCall
from springlet.testing.ollama_protocol import ServedModel
from springlet.testing.ollama_server import OllamaTestServer

pytestmark = pytest.mark.integration

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


@pytest.fixture
def server() -> Iterator[OllamaTestServer]:
    backend = ScriptedChatModel(respond=lambda messages, tools: Reply("the sky is blue"))
    pullable = [ServedModel("llama3.2:1b", family="llama", parameter_size="1.2B")]
    with OllamaTestServer(backend, pullable=pullable) as running:
        yield running


@pytest.fixture
def client(server: OllamaTestServer) -> ollama.Client:
    return ollama.Client(host=server.url, timeout=5)


def test_version_tags_and_show(client: ollama.Client) -> None:
    assert client._client.get("/api/version").json() == {"version": "0.12.6"}
    names = [m.model for m in client.list().models]
    assert names == ["qwen2.5:7b", "gemma:2b", "nomic-embed-text:latest"]
    shown = client.show("gemma:2b")
    assert shown.details is not None and shown.details.family == "gemma"
    assert shown.details.quantization_level == "Q4_0"
    assert shown.modelinfo is not None and shown.modelinfo["gemma.context_length"] == 8192
    assert shown.capabilities == ["completion"]


def test_chat_not_streamed_reports_counts_and_durations(client: ollama.Client) -> None:
    response = client.chat(
        model="qwen2.5:7b",
        messages=[{"role": "user", "content": "why is the sky blue"}],
        options={"temperature": 0},
    )
    assert response.message.content == "the sky is blue"
    assert response.done and response.done_reason == "stop"
    assert response.prompt_eval_count == 5 and response.eval_count == 4
    assert response.total_duration and response.total_duration > 0


def test_chat_streams_word_by_word_then_done(client: ollama.Client) -> None:
    parts = list(
        client.chat(model="qwen2.5:7b", messages=[{"role": "user", "content": "hi"}], stream=True)
    )
    assert [p.message.content for p in parts[:-1]] == ["the ", "sky ", "is ", "blue"]
    assert parts[-1].done and not parts[0].done


def test_tool_calls_come_back_as_objects(server: OllamaTestServer) -> None:
    server.backend = ScriptedChatModel(steps=[ToolCall("get_weather", {"city": "Tokyo"})])
    client = ollama.Client(host=server.url)
    response = client.chat(
        model="qwen2.5:7b",
        messages=[{"role": "user", "content": "weather in tokyo?"}],
        tools=[WEATHER_TOOL],
    )
    calls = response.message.tool_calls or []
    assert [(c.function.name, dict(c.function.arguments)) for c in calls] == [
        ("get_weather", {"city": "Tokyo"})
    ]
    assert server.requests_to("/api/chat")[0]["tools"][0]["function"]["name"] == "get_weather"


def test_model_without_tools_answers_400(client: ollama.Client) -> None:
    with pytest.raises(ollama.ResponseError) as info:
        client.chat(
            model="gemma:2b", messages=[{"role": "user", "content": "x"}], tools=[WEATHER_TOOL]
        )
    assert info.value.status_code == 400
    assert info.value.error == "registry.ollama.ai/library/gemma:2b does not support tools"


def test_unknown_model_answers_404_with_ollama_wording(client: ollama.Client) -> None:
    with pytest.raises(ollama.ResponseError) as info:
        client.chat(model="nope", messages=[{"role": "user", "content": "x"}])
    assert info.value.status_code == 404
    assert info.value.error == 'model "nope" not found, try pulling it first'
    with pytest.raises(ollama.ResponseError, match="model 'nope' not found"):
        client.show("nope")


def test_embed_returns_unit_vectors(client: ollama.Client) -> None:
    response = client.embed(model="nomic-embed-text", input=["red apple", "green apple"])
    assert len(response.embeddings) == 2 and len(response.embeddings[0]) == 64
    assert list(response.embeddings[0]) == pytest.approx(hashed_embedding("red apple", 64))
    assert sum(v * v for v in response.embeddings[1]) == pytest.approx(1.0)


def test_pull_streams_progress_and_installs(client: ollama.Client) -> None:
    statuses = list(client.pull("llama3.2:1b", stream=True))
    assert statuses[0].status == "pulling manifest" and statuses[-1].status == "success"
    progress = [s for s in statuses if s.total]
    assert progress[-1].completed == progress[-1].total
    assert "llama3.2:1b" in [m.model for m in client.list().models]
    with pytest.raises(ollama.ResponseError, match="file does not exist"):
        list(client.pull("no-such-model", stream=True))


def test_faults(server: OllamaTestServer, client: ollama.Client) -> None:
    ask = [{"role": "user", "content": "hi"}]
    server.faults.error_status = 500
    with pytest.raises(ollama.ResponseError) as info:
        client.chat(model="qwen2.5:7b", messages=ask)
    assert info.value.status_code == 500
    server.faults.reset()

    server.faults.cut_stream_after = 2
    with pytest.raises(httpx.RemoteProtocolError):
        list(client.chat(model="qwen2.5:7b", messages=ask, stream=True))
    server.faults.reset()

    server.faults.stream_error = "model runner crashed"
    with pytest.raises(ollama.ResponseError, match="model runner crashed"):
        list(client.chat(model="qwen2.5:7b", messages=ask, stream=True))
    server.faults.reset()

    server.faults.missing_models = {"qwen2.5:7b"}
    with pytest.raises(ollama.ResponseError) as info:
        client.chat(model="qwen2.5:7b", messages=ask)
    assert info.value.status_code == 404
    server.faults.reset()

    server.faults.down = True
    with pytest.raises(httpx.RemoteProtocolError):
        client.chat(model="qwen2.5:7b", messages=ask)


def test_stop_releases_the_port() -> None:
    server = OllamaTestServer().start()
    url = server.url
    server.stop()
    with pytest.raises(ConnectionError):
        ollama.Client(host=url, timeout=2).list()


def test_backend_failure_is_an_ollama_500(server: OllamaTestServer, client: ollama.Client) -> None:
    server.backend = ScriptedChatModel(steps=[Fail(RuntimeError("out of memory"))] * 2)
    with pytest.raises(ollama.ResponseError) as info:
        client.chat(model="qwen2.5:7b", messages=[{"role": "user", "content": "hi"}])
    assert info.value.status_code == 500 and "out of memory" in info.value.error
    with pytest.raises(ollama.ResponseError, match="out of memory"):
        list(
            client.chat(
                model="qwen2.5:7b", messages=[{"role": "user", "content": "hi"}], stream=True
            )
        )


def test_format_goes_through_the_backends_structured_output(
    server: OllamaTestServer, client: ollama.Client
) -> None:
    server.backend = ScriptedChatModel(
        steps=[Reply('```json\n{"city": "Tokyo"}\n```'), Reply("no")]
    )
    schema = {"type": "object", "properties": {"city": {"type": "string"}}}
    ask = [{"role": "user", "content": "where?"}]
    answer = client.chat(model="qwen2.5:7b", messages=ask, format=schema)
    assert answer.message.content == '{"city": "Tokyo"}'  # fences gone: JSON as constrained
    assert answer.eval_count == 4  # counted on what the backend generated
    streamed = list(client.chat(model="qwen2.5:7b", messages=ask, format="json", stream=True))
    assert streamed[0].message.content == "no"  # an answer that does not parse stays as is
