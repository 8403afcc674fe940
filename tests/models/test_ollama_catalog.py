"""Listing, showing and pulling models through springlet's catalog (real ollama client)."""

from __future__ import annotations

import pytest

from springlet.errors import ModelNotFoundError, ModelServerError
from springlet.models.ollama_catalog import OllamaCatalog, PullProgress, server_version
from springlet.testing.ollama_server import OllamaTestServer

pytestmark = pytest.mark.integration


def test_list_merges_tags_and_show(ollama_server: OllamaTestServer) -> None:
    models = {m.name: m for m in OllamaCatalog(ollama_server.url).list_models()}
    assert list(models) == ["qwen2.5:7b", "gemma:2b", "nomic-embed-text:latest"]
    qwen = models["qwen2.5:7b"]
    assert (qwen.family, qwen.parameter_size, qwen.quantization_level) == (
        "qwen2",
        "7.6B",
        "Q4_K_M",
    )
    assert qwen.context_length == 32768 and qwen.supports_tools
    assert qwen.digest == ollama_server.models["qwen2.5:7b"].digest
    assert models["gemma:2b"].capabilities == frozenset({"completion"})
    assert models["nomic-embed-text:latest"].embedding_length == 64


def test_show_is_cached_per_host_and_model(ollama_server: OllamaTestServer) -> None:
    catalog = OllamaCatalog(ollama_server.url)
    first = catalog.show("gemma:2b")
    assert catalog.show("gemma:2b") is first
    assert len(ollama_server.requests_to("/api/show")) == 1


def test_show_missing_model(ollama_server: OllamaTestServer) -> None:
    with pytest.raises(ModelNotFoundError, match="springlet models pull mistral"):
        OllamaCatalog(ollama_server.url).show("mistral")


def test_pull_reports_progress(ollama_server: OllamaTestServer) -> None:
    seen: list[PullProgress] = []
    catalog = OllamaCatalog(ollama_server.url)
    catalog.pull("llama3.2:1b", seen.append)
    assert seen[0].status == "pulling manifest" and seen[-1].status == "success"
    downloads = [p for p in seen if p.total]
    assert [p.completed for p in downloads] == sorted(p.completed or 0 for p in downloads)
    assert downloads[-1].completed == downloads[-1].total == 1_300_000_000
    assert catalog.show("llama3.2:1b").family == "llama"


def test_pull_of_an_unknown_model_fails_clearly(ollama_server: OllamaTestServer) -> None:
    with pytest.raises(ModelNotFoundError, match="could not pull 'no-such-model'") as info:
        OllamaCatalog(ollama_server.url).pull("no-such-model")
    assert "file does not exist" in str(info.value)


def test_list_with_bad_json(ollama_server: OllamaTestServer) -> None:
    ollama_server.faults.bad_json = True
    with pytest.raises(ModelServerError):
        OllamaCatalog(ollama_server.url).list_models()


def test_server_version(ollama_server: OllamaTestServer) -> None:
    assert server_version(ollama_server.url) == "0.12.6"
    ollama_server.faults.down = True
    assert server_version(ollama_server.url) is None


def test_catalogs_of_one_server_share_one_http_client() -> None:
    # catalogs are made per question; one client each left its sockets open
    first = OllamaCatalog("http://127.0.0.1:9", 5.0)
    second = OllamaCatalog("http://127.0.0.1:9", 5.0)
    other = OllamaCatalog("http://127.0.0.1:10", 5.0)
    assert first._client is second._client
    assert other._client is not first._client
