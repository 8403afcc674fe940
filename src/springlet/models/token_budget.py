"""Counting a request's tokens with the model's own tokenizer, and how much fits.

- the embedded model: llama.cpp's tokenizer on the prompt rendered with the GGUF's own
  chat template (exact; the weights are loaded anyway for the call);
- Ollama: the model's own tokenizer when its GGUF is in this machine's Ollama store
  (`ollama_tokenizer`), else springlet's generous estimate (`estimate_tokens`) times a
  per-model factor
  learned from the `prompt_eval_count` Ollama reports for prompts that fitted
  (`calibrate`), so the count converges on Ollama's own tokenizer;
- anything else: the estimate.

`context_window` is the model's window as far as it can be known without a call
(Ollama's `/api/show`, the embedded model's n_ctx), None otherwise.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage

_factors: dict[tuple[str, str], float] = {}
_factors_lock = threading.Lock()
_LEARNING_RATE = 0.5
# never far below the generous estimate: a prompt prefix Ollama had cached is not counted
# in its prompt_eval_count, and learning from that would make every count too small
_FACTOR_BOUNDS = (0.7, 4.0)


def forget_calibration() -> None:
    """Forget what was learned of each Ollama model's tokenizer (between tests)."""
    with _factors_lock:
        _factors.clear()


def calibration(host: str, model: str) -> float:
    """The learned ratio of Ollama's token count to springlet's estimate (1.0: none yet)."""
    with _factors_lock:
        return _factors.get((host, model), 1.0)


def calibrate(host: str, model: str, estimated: int, reported: int) -> None:
    """Learn from one call whose whole prompt was evaluated (`reported` tokens)."""
    if estimated <= 0 or reported <= 0:
        return
    ratio = min(max(reported / estimated, _FACTOR_BOUNDS[0]), _FACTOR_BOUNDS[1])
    with _factors_lock:
        old = _factors.get((host, model))
        _factors[(host, model)] = ratio if old is None else old + _LEARNING_RATE * (ratio - old)


def count_tokens(
    chat_model: BaseChatModel,
    messages: Sequence[BaseMessage],
    tools: Sequence[Any] | None = None,
) -> int:
    """The tokens `messages` (and `tools`) take in a request to `chat_model`."""
    from springlet.models.ollama import SpringletChatOllama, estimate_tokens

    estimate = estimate_tokens(list(messages), list(tools or [])) + _call_tokens(messages)
    if isinstance(chat_model, SpringletChatOllama):
        from springlet.models.ollama_tokenizer import local_token_count

        exact = local_token_count(chat_model.model, messages, tools)
        if exact is not None:  # the model's GGUF is in this machine's Ollama store
            return exact
        factor = calibration(chat_model.host, chat_model.model)
        return math.ceil(estimate * factor)
    embedded = _embedded_count(chat_model, messages, tools)
    return embedded if embedded is not None else estimate


def _call_tokens(messages: Sequence[BaseMessage]) -> int:
    """The tool calls of assistant messages, which the text estimate does not see."""
    total = 0
    for message in messages:
        for call in getattr(message, "tool_calls", None) or []:
            total += (len(call["name"]) + len(json.dumps(call["args"], default=str))) // 4 + 4
    return total


def context_window(chat_model: BaseChatModel) -> int | None:
    """The model's context window in tokens, when it can be known."""
    from springlet.models.ollama import SpringletChatOllama

    if isinstance(chat_model, SpringletChatOllama):
        info = chat_model.model_info()
        return info.context_length if info and info.context_length else None
    if type(chat_model).__name__ == "EmbeddedChatModel":
        return int(chat_model.loaded().n_ctx)  # type: ignore[attr-defined]
    return None


def _embedded_count(
    chat_model: BaseChatModel, messages: Sequence[BaseMessage], tools: Sequence[Any] | None
) -> int | None:
    # by name: importing the embedded provider would load llama.cpp for every caller
    if type(chat_model).__name__ != "EmbeddedChatModel":
        return None
    from springlet.models.embedded_prompt import to_turns
    from springlet.models.ollama_tools import describe_tools

    loaded = chat_model.loaded()  # type: ignore[attr-defined]
    extra = describe_tools(list(tools)) if tools else ""
    turns = [dict(t) for t in to_turns(list(messages), system_extra=extra)]
    prompt = loaded.render_chat(turns, add_generation_prompt=True)
    return len(loaded.tokenize(prompt))
