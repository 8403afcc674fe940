"""ws.models against the project's Ollama-protocol test server (real HTTP) and the
embedded models installed in this environment."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from springlet import Workspace, load_workspace
from springlet.models.ollama_catalog import forget_cached_models
from springlet.models.resolve import forget_auto_choice
from springlet.testing.ollama_protocol import ServedModel
from springlet.testing.ollama_server import OllamaTestServer
from springlet.workspace import AutoChoice, ModelInfo, PullProgress


@pytest.fixture
def server() -> Iterator[OllamaTestServer]:
    with OllamaTestServer(pullable=[ServedModel("tiny:1b", parameter_size="1B")]) as running:
        yield running
    forget_cached_models()
    forget_auto_choice()


def workspace_at(tmp_path: Path, host: str, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    root = tmp_path / "ws"
    root.mkdir(exist_ok=True)
    (root / "springlet.yaml").write_text(f"ollama:\n  host: {host}\n")
    forget_auto_choice()
    return load_workspace(root, tracing=False)


def test_list_has_ollama_and_embedded_models(
    server: OllamaTestServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = workspace_at(tmp_path, server.url, monkeypatch)
    models = {m.reference: m for m in ws.models.list()}
    qwen = models["ollama:qwen2.5:7b"]
    assert isinstance(qwen, ModelInfo)
    assert (qwen.provider, qwen.kind, qwen.parameters, qwen.quantization) == (
        "ollama",
        "instruct",
        "7.6B",
        "Q4_K_M",
    )
    assert qwen.context_length == 32768 and "tools" in qwen.capabilities
    assert qwen.fit is not None and "GiB" in qwen.fit and qwen.loaded is False
    assert models["ollama:nomic-embed-text:latest"].kind == "embedding"
    assert models["ollama:gemma:2b"].kind == "unknown"  # completes, no tools: can't tell
    smollm2 = models["embedded:smollm2"]
    assert (smollm2.provider, smollm2.kind) == ("embedded", "instruct")
    assert smollm2.size_bytes and smollm2.size_bytes > 10_000_000


def test_embedded_models_are_described_without_http(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = workspace_at(tmp_path, "http://127.0.0.1:9", monkeypatch)  # nothing listens
    listed = ws.models.list(ollama=False)
    assert {m.provider for m in listed} == {"embedded"}
    assert ws.models.show("embedded:all-minilm").kind == "embedding"


def test_show_fit_and_auto_choice(
    server: OllamaTestServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = workspace_at(tmp_path, server.url, monkeypatch)
    assert ws.models.show("ollama:gemma:2b").family == "gemma"
    assert ws.models.fit("qwen2.5:7b", context_length=8192).context_length == 8192
    choice = ws.models.auto_choice()
    assert isinstance(choice, AutoChoice)
    assert choice.reference == "ollama:qwen2.5:7b" and server.url in choice.reason


def test_auto_choice_says_why_without_ollama(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = workspace_at(tmp_path, "http://127.0.0.1:9", monkeypatch)
    choice = ws.models.auto_choice()
    assert choice.reference == "embedded:smollm2"
    assert "no Ollama at http://127.0.0.1:9" in choice.reason


def test_pull_reports_progress_and_cancel_stops_it(
    server: OllamaTestServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = workspace_at(tmp_path, server.url, monkeypatch)
    lines: list[PullProgress] = []
    ws.models.pull("tiny:1b", on_progress=lines.append)
    assert lines[-1].status == "success" and any(line.total for line in lines)
    assert ws.models.show("tiny:1b").parameters == "1B"
    cancel = threading.Event()
    seen: list[PullProgress] = []

    def first_only(line: PullProgress) -> None:
        seen.append(line)
        cancel.set()

    ws.models.pull("tiny:1b", on_progress=first_only, cancel=cancel)
    assert len(seen) == 1
