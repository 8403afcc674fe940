"""Fallback chains: the next model answers when the server is down, the model is missing
or the prompt does not fit - not when the model answered badly - and the run's result
and trace say which one answered and why the others were skipped."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from springlet.agents.fallback import ANSWERED_BY, SKIPPED
from springlet.testing import OllamaTestServer, Reply, ScriptedChatModel
from springlet.testing.ollama_protocol import ServedModel
from springlet.tracing import MemorySink, SpanKind
from springlet.workspace.loader import load_workspace_files

from .conftest import MakeWs

pytestmark = pytest.mark.integration

CHAIN = "[ollama:qwen2.5:7b, ollama@gpu2:qwen2.5:7b]"


@pytest.fixture
def gpu2() -> Iterator[OllamaTestServer]:
    backend = ScriptedChatModel(respond=lambda messages, tools: Reply("from gpu2"))
    with OllamaTestServer(backend) as running:
        yield running


def _dead_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def _answer(server: OllamaTestServer, text: str) -> None:
    server.backend = ScriptedChatModel(respond=lambda messages, tools: Reply(text))


def _fallback_spans(ws: object, sink: MemorySink) -> list[dict[str, object]]:
    assert ws.tracer().flush()  # type: ignore[attr-defined]
    return [
        s.attributes
        for s in sink.spans()
        if s.kind is SpanKind.ADVISOR and s.name == "model_fallback"
    ]


def test_the_primary_answers_when_it_can(
    server: OllamaTestServer, gpu2: OllamaTestServer, make_ws: MakeWs, sink: MemorySink
) -> None:
    _answer(server, "from the primary")
    ws = make_ws(model=CHAIN, tools="[]", settings_extra=f"  hosts: {{gpu2: {gpu2.url}}}\n")
    result = ws.agent("a").run("hi")
    assert (result.text, result.model) == ("from the primary", "ollama:qwen2.5:7b")
    assert not gpu2.requests_to("/api/chat")
    assert not _fallback_spans(ws, sink)


def test_server_down_falls_back_to_the_next_host(
    tmp_path: Path, gpu2: OllamaTestServer, sink: MemorySink
) -> None:
    from springlet import load_workspace

    (tmp_path / "agents").mkdir()
    dead = _dead_url()
    (tmp_path / "springlet.yaml").write_text(
        f"ollama:\n  host: {dead}\n  hosts: {{gpu2: {gpu2.url}}}\n"
    )
    (tmp_path / "agents" / "a.yaml").write_text(
        f"name: a\ndescription: d\nmodel: {CHAIN}\ninstructions: You help.\n"
    )
    with load_workspace(tmp_path, tracing=sink) as ws:
        result = ws.agent("a").run("hi")
        spans = _fallback_spans(ws, sink)
    assert result.status == "ok", result.error
    assert (result.text, result.model) == ("from gpu2", "ollama@gpu2:qwen2.5:7b")
    assert "ollama:qwen2.5:7b skipped: " in result.model_reason
    assert dead in result.model_reason and gpu2.url in result.model_reason
    (span,) = spans
    assert span[ANSWERED_BY] == "ollama@gpu2:qwen2.5:7b"
    assert "ollama:qwen2.5:7b skipped" in str(span[SKIPPED])


def test_missing_model_falls_back(
    server: OllamaTestServer, gpu2: OllamaTestServer, make_ws: MakeWs
) -> None:
    server.faults.missing_models = {"qwen2.5:7b"}
    ws = make_ws(model=CHAIN, tools="[]", settings_extra=f"  hosts: {{gpu2: {gpu2.url}}}\n")
    result = ws.agent("a").run("hi")
    assert (result.text, result.model) == ("from gpu2", "ollama@gpu2:qwen2.5:7b")
    assert "does not have the model 'qwen2.5:7b'" in result.model_reason


def test_context_overflow_falls_back_to_a_longer_context(
    server: OllamaTestServer, make_ws: MakeWs
) -> None:
    server.models["tiny:1b"] = ServedModel("tiny:1b", context_length=1024)
    _answer(server, "from the long one")
    ws = make_ws(model="[ollama:tiny:1b, ollama:qwen2.5:7b]", tools="[]")
    result = ws.agent("a").run("word " * 3000)
    assert result.status == "ok", result.error
    assert (result.text, result.model) == ("from the long one", "ollama:qwen2.5:7b")
    assert "ollama:tiny:1b skipped" in result.model_reason
    assert "1024-token context window" in result.model_reason
    assert [b["model"] for b in server.requests_to("/api/chat")] == ["qwen2.5:7b"]


def test_a_bad_answer_does_not_fall_back(
    server: OllamaTestServer, gpu2: OllamaTestServer, make_ws: MakeWs
) -> None:
    server.faults.error_status = 500
    server.faults.error_message = "model runner crashed"
    ws = make_ws(model=CHAIN, tools="[]", settings_extra=f"  hosts: {{gpu2: {gpu2.url}}}\n")
    result = ws.agent("a").run("hi")
    assert result.status == "error"
    assert "model runner crashed" in str(result.error)
    assert not gpu2.requests_to("/api/chat")


def test_a_badly_structured_answer_does_not_fall_back(
    server: OllamaTestServer, gpu2: OllamaTestServer, make_ws: MakeWs
) -> None:
    _answer(server, "not json at all")
    schema = "output:\n  type: object\n  properties:\n    n: {type: integer}\n  required: [n]\n"
    ws = make_ws(schema, model=CHAIN, tools="[]", settings_extra=f"  hosts: {{gpu2: {gpu2.url}}}\n")
    result = ws.agent("a").run("hi")
    assert result.status == "error" and "output schema" in str(result.error)
    assert not gpu2.requests_to("/api/chat")


def test_every_model_down_says_why_for_each(make_ws: MakeWs, server: OllamaTestServer) -> None:
    server.faults.missing_models = {"qwen2.5:7b", "gemma:2b"}
    ws = make_ws(model="[ollama:qwen2.5:7b, ollama:gemma:2b]", tools="[]")
    result = ws.agent("a").run("hi")
    assert result.status == "error"
    assert "no model of the fallback chain could answer" in str(result.error)
    assert "ollama:qwen2.5:7b skipped" in str(result.error)
    assert "ollama:gemma:2b skipped" in str(result.error)


def test_an_undeclared_host_is_a_clear_error(make_ws: MakeWs) -> None:
    ws = make_ws(model="[ollama@gpu9:qwen2.5:7b]", tools="[]")
    with pytest.raises(Exception, match=r"host 'gpu9', which springlet.yaml does not declare"):
        ws.agent("a")


def test_an_embedder_list_is_refused_with_the_reason(tmp_path: Path) -> None:
    (tmp_path / "springlet.yaml").write_text(
        "embeddings: [embedded:all-minilm, ollama:nomic-embed-text]\n"
    )
    problems = [str(p) for p in load_workspace_files(tmp_path).problems]
    assert any("pinned to the embedder that built it" in p for p in problems), problems
    assert any("springlet.yaml:1" in p for p in problems), problems
