"""An Ollama model whose GGUF is in this machine's Ollama store is counted with its own
tokenizer; one that is not keeps the calibrated estimate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from springlet.models.gguf import locate_gguf
from springlet.models.ollama import ollama_chat_model
from springlet.models.ollama_tokenizer import forget_vocabularies, local_token_count
from springlet.models.token_budget import count_tokens


def _ollama_store_with_smollm2(store: Path) -> None:
    """A local Ollama store that holds the shipped SmolLM2 GGUF as `smol:135m`."""
    digest = "a" * 64
    blob = store / "blobs" / f"sha256-{digest}"
    blob.parent.mkdir(parents=True)
    blob.symlink_to(locate_gguf("smollm2"))
    manifest = store / "manifests" / "registry.ollama.ai" / "library" / "smol" / "135m"
    manifest.parent.mkdir(parents=True)
    layer = {"mediaType": "application/vnd.ollama.image.model", "digest": f"sha256:{digest}"}
    manifest.write_text(json.dumps({"schemaVersion": 2, "layers": [layer]}))


@pytest.fixture(autouse=True)
def _fresh() -> None:
    forget_vocabularies()


def test_a_locally_pulled_model_is_counted_with_its_own_tokenizer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from llama_cpp import Llama

    _ollama_store_with_smollm2(tmp_path / "ollama")
    monkeypatch.setenv("OLLAMA_MODELS", str(tmp_path / "ollama"))
    text = "Where is my order A-1001? 我的订单在哪里？"
    vocabulary = Llama(str(locate_gguf("smollm2")), vocab_only=True, verbose=False)
    own = len(vocabulary.tokenize(text.encode(), add_bos=False, special=True))
    counted = local_token_count("smol:135m", [HumanMessage(text)])
    assert counted == own + 4  # the text's tokens, plus what a template adds per message
    # and an Ollama chat model of that name is counted the same way, not estimated
    model = ollama_chat_model("smol:135m", "http://127.0.0.1:9")
    assert count_tokens(model, [HumanMessage(text)]) == counted
    vocabulary.close()


def test_a_model_not_pulled_here_keeps_the_estimate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OLLAMA_MODELS", str(tmp_path / "empty"))
    messages = [SystemMessage("You help."), HumanMessage("Where is my order?")]
    assert local_token_count("qwen2.5:7b", messages) is None
    model = ollama_chat_model("qwen2.5:7b", "http://127.0.0.1:9")
    assert count_tokens(model, messages) > 0
