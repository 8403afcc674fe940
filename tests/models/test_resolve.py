"""Resolving model references: auto's choice and its recorded reason, every provider."""

from __future__ import annotations

import socket
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from springlet.errors import (
    ModelCapabilityError,
    ModelNotFoundError,
    ModelReferenceError,
    ModelUnavailableError,
)
from springlet.models import resolve
from springlet.models.ollama import SpringletChatOllama
from springlet.models.ollama_catalog import normalize_host, ollama_host
from springlet.models.options import ModelOptions
from springlet.models.reference import parse_model_ref
from springlet.settings import WorkspaceSettings
from springlet.testing import Reply, ScriptedChatModel, register_script, unregister_script
from springlet.testing.ollama_protocol import ServedModel
from springlet.testing.ollama_server import OllamaTestServer


@pytest.fixture(autouse=True)
def fresh_auto(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    resolve.forget_auto_choice()
    yield
    resolve.forget_auto_choice()


@pytest.fixture
def fake_embedded(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any, Any]]:
    """Stands in for springlet.models.embedded so these tests never load llama.cpp."""
    calls: list[tuple[str, Any, Any]] = []
    module = types.ModuleType("springlet.models.embedded")

    def embedded_chat_model(
        name: str, options: Any = None, root: Any = None, models_dir: Any = None
    ) -> Any:
        calls.append((name, options, root))
        return ScriptedChatModel(steps=[Reply("embedded answer")], script_name=f"embedded-{name}")

    module.embedded_chat_model = embedded_chat_model  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "springlet.models.embedded", module)
    return calls


def _settings(host: str, **ollama: Any) -> WorkspaceSettings:
    return WorkspaceSettings.model_validate({"ollama": {"host": host, **ollama}})


def _dead_host() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.mark.integration
def test_auto_picks_ollama_when_it_answers(
    ollama_server: OllamaTestServer, fake_embedded: list[Any]
) -> None:
    resolved = resolve.resolve_chat_model(parse_model_ref("auto"), _settings(ollama_server.url))
    assert str(resolved.ref) == "ollama:qwen2.5:7b"  # the installed model with tools
    assert str(resolved.requested) == "auto"
    assert resolved.reason == f"auto: Ollama 0.12.6 at {ollama_server.url}, using ollama:qwen2.5:7b"
    assert isinstance(resolved.chat_model, SpringletChatOllama)
    assert resolved.chat_model.invoke("hi").content == "the sky is blue"
    assert fake_embedded == []


def test_auto_falls_back_to_embedded_without_ollama(fake_embedded: list[Any]) -> None:
    host = _dead_host()
    options = ModelOptions(temperature=0)
    resolved = resolve.resolve_chat_model(
        parse_model_ref("auto"), _settings(host), options=options, root=Path("/ws")
    )
    assert str(resolved.ref) == "embedded:smollm2"
    assert resolved.reason == f"auto: no Ollama at {host}, using embedded:smollm2"
    assert fake_embedded == [("smollm2", options, Path("/ws"))]
    assert resolved.chat_model.invoke("hi").content == "embedded answer"


@pytest.mark.integration
def test_auto_with_an_empty_ollama_uses_embedded(fake_embedded: list[Any]) -> None:
    with OllamaTestServer(
        models=[ServedModel("nomic-embed-text", capabilities=("embedding",))]
    ) as s:
        resolved = resolve.resolve_chat_model(parse_model_ref("auto"), _settings(s.url))
    assert str(resolved.ref) == "embedded:smollm2"
    assert "has no chat model" in resolved.reason


@pytest.mark.integration
def test_auto_choice_is_probed_once_per_process(
    ollama_server: OllamaTestServer, fake_embedded: list[Any]
) -> None:
    settings = _settings(ollama_server.url)
    resolve.resolve_chat_model(parse_model_ref("auto"), settings)
    resolve.resolve_chat_model(parse_model_ref("auto"), settings)
    assert len([r for r in ollama_server.requests if r.path == "/api/version"]) == 1


def test_ollama_reference_uses_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings("http://gpu-box:11434", keep_alive="1h", timeout_s=12, auto_pull=True)
    resolved = resolve.resolve_chat_model(
        parse_model_ref("ollama:qwen2.5:7b"), settings, options=ModelOptions(num_ctx=8192)
    )
    model = resolved.chat_model
    assert isinstance(model, SpringletChatOllama)
    assert (model.model, model.base_url, model.keep_alive) == (
        "qwen2.5:7b",
        "http://gpu-box:11434",
        "1h",
    )
    assert (model.timeout_s, model.auto_pull, model.num_ctx) == (12, True, 8192)
    assert resolved.reason == "ollama:qwen2.5:7b at http://gpu-box:11434"


def test_ollama_host_env_overrides_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", "0.0.0.0:9999")
    assert ollama_host(_settings("http://gpu-box:11434")) == "http://127.0.0.1:9999"
    monkeypatch.delenv("OLLAMA_HOST")
    assert ollama_host(WorkspaceSettings()) == "http://127.0.0.1:11434"
    assert normalize_host("https://ollama.example.com/") == "https://ollama.example.com:443"


def test_scripted_reference_resolves_a_registered_script() -> None:
    register_script("resolve-test", [Reply("scripted")])
    try:
        resolved = resolve.resolve_chat_model(
            parse_model_ref("scripted:resolve-test"), WorkspaceSettings()
        )
        assert resolved.chat_model.invoke("x").content == "scripted"
    finally:
        unregister_script("resolve-test")
    with pytest.raises(ModelReferenceError, match="no script named 'resolve-test'"):
        resolve.resolve_chat_model(parse_model_ref("scripted:resolve-test"), WorkspaceSettings())


def test_missing_embedded_module_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "springlet.models.embedded", None)
    with pytest.raises(ModelUnavailableError, match="embedded model provider cannot be loaded"):
        resolve.resolve_chat_model(parse_model_ref("embedded:smollm2"), WorkspaceSettings())


def test_embedded_embeddings_need_a_known_name() -> None:
    with pytest.raises(ModelReferenceError, match="unknown embedded embedding model 'e5'"):
        resolve.resolve_embeddings(parse_model_ref("embedded:e5"), WorkspaceSettings())


def test_embedded_embeddings_come_from_minilm(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("springlet.models.minilm")

    class MiniLMEmbeddings:
        identity = "embedded:all-minilm@0123456789ab"
        dimension = 384

    module.MiniLMEmbeddings = MiniLMEmbeddings  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "springlet.models.minilm", module)
    resolved = resolve.resolve_embeddings(
        parse_model_ref("embedded:all-minilm"), WorkspaceSettings()
    )
    assert (resolved.identity, resolved.dimension, resolved.normalized) == (
        "embedded:all-minilm@0123456789ab",
        384,
        True,
    )


@pytest.mark.integration
def test_ollama_embeddings_identity_pins_the_digest(ollama_server: OllamaTestServer) -> None:
    ref = parse_model_ref("ollama:nomic-embed-text")
    resolved = resolve.resolve_embeddings(ref, _settings(ollama_server.url))
    digest = ollama_server.models["nomic-embed-text:latest"].digest
    assert resolved.identity == f"ollama:nomic-embed-text:latest@{digest[:12]}"
    assert resolved.dimension == 64
    vectors = resolved.embeddings.embed_documents(["red apple", "green apple"])
    assert len(vectors) == 2 and len(vectors[0]) == 64


@pytest.mark.integration
def test_ollama_embeddings_refuse_a_chat_model_and_a_missing_one(
    ollama_server: OllamaTestServer,
) -> None:
    settings = _settings(ollama_server.url)
    with pytest.raises(ModelCapabilityError, match="not an embedding model"):
        resolve.resolve_embeddings(parse_model_ref("ollama:qwen2.5:7b"), settings)
    with pytest.raises(ModelNotFoundError, match="springlet models pull bge-m3"):
        resolve.resolve_embeddings(parse_model_ref("ollama:bge-m3"), settings)


def test_scripted_embeddings_are_deterministic() -> None:
    resolved = resolve.resolve_embeddings(parse_model_ref("scripted:test"), WorkspaceSettings())
    first = resolved.embeddings.embed_query("refund policy")
    assert first == resolved.embeddings.embed_documents(["refund policy"])[0]
    assert resolved.identity == "scripted:test@hash-64" and resolved.dimension == len(first)
