"""Fixtures for the model tests: a running Ollama-protocol test server per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from springlet.models import ollama as ollama_provider
from springlet.models.ollama_catalog import forget_cached_models
from springlet.testing import Reply, ScriptedChatModel
from springlet.testing.ollama_protocol import ServedModel
from springlet.testing.ollama_server import OllamaTestServer

PULLABLE = (ServedModel("llama3.2:1b", family="llama", parameter_size="1.2B", size=1_300_000_000),)


@pytest.fixture(autouse=True)
def _empty_ollama_store(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test sees this machine's own Ollama models: OLLAMA_MODELS is an empty folder."""
    monkeypatch.setenv("OLLAMA_MODELS", str(tmp_path_factory.mktemp("ollama-models")))


@pytest.fixture
def ollama_server() -> Iterator[OllamaTestServer]:
    """A fresh server answering "the sky is blue" (swap `server.backend` to script it)."""
    forget_cached_models()
    ollama_provider.forget_tool_support()
    backend = ScriptedChatModel(respond=lambda messages, tools: Reply("the sky is blue"))
    with OllamaTestServer(backend, pullable=PULLABLE) as server:
        yield server
    forget_cached_models()
    ollama_provider.forget_tool_support()
