"""`springlet models list|show|pull|fit` against the Ollama-protocol test server."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from springlet.cli import main
from springlet.models.ollama_catalog import forget_cached_models
from springlet.testing.ollama_protocol import ServedModel
from springlet.testing.ollama_server import OllamaTestServer

pytestmark = pytest.mark.integration


@pytest.fixture
def server() -> Iterator[OllamaTestServer]:
    forget_cached_models()
    pullable = [
        ServedModel("llama3.2:1b", family="llama", parameter_size="1.2B", size=1_300_000_000)
    ]
    with OllamaTestServer(pullable=pullable) as running:
        yield running
    forget_cached_models()


def run(server_url: str, *args: str, workspace: Path | None = None) -> tuple[int, str, str]:
    argv = ["models", *args]
    if workspace is not None:
        argv[2:2] = ["-w", str(workspace)]
    result = CliRunner().invoke(main, argv, env={"OLLAMA_HOST": server_url, "COLUMNS": "160"})
    return result.exit_code, result.stdout, result.stderr


def test_list_shows_details_from_tags_and_show(server: OllamaTestServer) -> None:
    code, out, _ = run(server.url, "list")
    assert code == 0
    assert "qwen2.5:7b" in out and "Q4_K_M" in out and "32768" in out
    assert "completion, tools" in out


def test_list_json(server: OllamaTestServer) -> None:
    code, out, _ = run(server.url, "list", "--json")
    listed = json.loads(out)
    assert code == 0
    assert [m["name"] for m in listed] == ["qwen2.5:7b", "gemma:2b", "nomic-embed-text:latest"]
    assert listed[1]["context_length"] == 8192


def test_show_says_how_tools_are_called_and_the_fit(server: OllamaTestServer) -> None:
    code, out, _ = run(server.url, "show", "gemma:2b")
    assert code == 0
    assert "prompted (no native tool support)" in out
    assert "memory:" in out and "GiB" in out


def test_pull_shows_progress_and_installs(server: OllamaTestServer) -> None:
    code, out, _ = run(server.url, "pull", "llama3.2:1b")
    assert code == 0
    assert f"pulled llama3.2:1b to Ollama at {server.url}" in out
    assert "pulling manifest" in out and "success" in out
    assert "1.3/1.3 GB" in out  # the finished download bar
    assert "llama3.2:1b" in server.models


def test_fit_prints_the_parts_and_a_verdict(server: OllamaTestServer) -> None:
    code, out, _ = run(server.url, "fit", "qwen2.5:7b", "--ctx", "32768", "--parallel", "2")
    assert code == 0
    assert "32768 tokens x 2 parallel" in out
    assert "KV cache:      3.5 GiB" in out
    assert "needs about" in out
    code, out, _ = run(server.url, "fit", "qwen2.5:7b", "--json")
    assert json.loads(out)["context_length"] == 4096


def test_missing_model_is_a_clean_error(server: OllamaTestServer) -> None:
    code, _, err = run(server.url, "show", "mistral")
    assert code == 1
    assert err.startswith("error: the Ollama server at")
    assert "springlet models pull mistral" in err and "Traceback" not in err


def test_unreachable_server_is_a_clean_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    code, _, err = run(url, "list")
    assert code == 1 and f"is `ollama serve` running at {url}?" in err


def test_host_comes_from_springlet_yaml(server: OllamaTestServer, tmp_path: Path) -> None:
    (tmp_path / "springlet.yaml").write_text(f"ollama:\n  host: {server.url}\n")
    result = CliRunner().invoke(
        main, ["models", "list", "--json", "-w", str(tmp_path)], env={"OLLAMA_HOST": ""}
    )
    assert result.exit_code == 0, result.stderr
    assert len(json.loads(result.stdout)) == 3


def test_broken_springlet_yaml_is_reported(tmp_path: Path) -> None:
    (tmp_path / "springlet.yaml").write_text("ollama:\n  hots: x\n")
    result = CliRunner().invoke(main, ["models", "list", "-w", str(tmp_path)])
    assert result.exit_code == 1
    assert "springlet.yaml:2:3" in result.stderr and "hots" in result.stderr
