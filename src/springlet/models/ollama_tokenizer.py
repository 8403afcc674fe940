"""Ollama models counted with their own tokenizer, when their GGUF is on this machine.

An Ollama server on this machine keeps each pulled model's GGUF in its model store
(`$OLLAMA_MODELS`, `~/.ollama/models`). llama.cpp reads just the vocabulary of such a file
(`vocab_only`: milliseconds, a few MB), so springlet counts a request's tokens as the
model will, instead of estimating. A model whose GGUF is not here (a remote server, a
store springlet cannot read) keeps the calibrated estimate of `token_budget`.
"""

from __future__ import annotations

import atexit
import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from springlet._runtime import process_state
from springlet._runtime.messages import text_of

PER_MESSAGE_TOKENS = 4
"""What a chat template adds around each message (role markers, separators)."""

_vocabularies: dict[Path, Any] = {}
_missing: set[str] = set()
_lock = threading.Lock()


def local_token_count(
    model: str, messages: Sequence[Any], tools: Sequence[Any] | None = None
) -> int | None:
    """The tokens of `messages` (and `tools`) by Ollama model `model`'s own tokenizer, or
    None when its GGUF is not in the local Ollama store."""
    vocabulary = _vocabulary(model)
    if vocabulary is None:
        return None
    total = 0
    for message in messages:
        text = text_of(getattr(message, "content", message))
        total += len(_tokenize(vocabulary, text)) + PER_MESSAGE_TOKENS
        for call in getattr(message, "tool_calls", None) or []:
            total += len(_tokenize(vocabulary, json.dumps(call, default=str)))
    if tools:
        total += len(_tokenize(vocabulary, json.dumps(list(tools), default=str)))
    return total


def forget_vocabularies() -> None:
    """Drop the loaded vocabularies and what was not found (a model pulled since)."""
    with _lock:
        for vocabulary in _vocabularies.values():
            vocabulary.close()
        _vocabularies.clear()
        _missing.clear()


# freed before interpreter teardown (llama_cpp's finalizer fails once its bindings are
# gone), and forgotten by the process-wide reset (a model pulled since is then found)
atexit.register(forget_vocabularies)
process_state.register("models.ollama_vocabularies", forget=forget_vocabularies)


def _vocabulary(model: str) -> Any | None:
    from springlet.models.model_store import ollama_blob

    with _lock:
        if model in _missing:
            return None
    blob = ollama_blob(model)
    if blob is None:
        with _lock:
            _missing.add(model)
        return None
    with _lock:
        if blob not in _vocabularies:
            from llama_cpp import Llama

            _vocabularies[blob] = Llama(str(blob), vocab_only=True, verbose=False)
        return _vocabularies[blob]


def _tokenize(vocabulary: Any, text: str) -> list[int]:
    tokens: list[int] = vocabulary.tokenize(text.encode("utf-8"), add_bos=False, special=True)
    return tokens
