"""Model references as users write them: `auto`, `ollama:qwen2.5:7b`, `embedded:smollm2`,
`embedded:/path/model.gguf`, `scripted:NAME`.

Parsing is pure (no I/O) so specs can validate references at load time; resolving a
reference to a running model is `springlet.models.resolve`'s job.
"""

from __future__ import annotations

import difflib
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer, WithJsonSchema

Provider = Literal["auto", "ollama", "embedded", "scripted"]
PROVIDERS: tuple[str, ...] = ("auto", "ollama", "embedded", "scripted")

DEFAULT_EMBEDDED_CHAT = "smollm2"
DEFAULT_EMBEDDED_EMBEDDINGS = "all-minilm"
MULTILINGUAL_EMBEDDINGS = "multilingual"
"""The offline embedder for Chinese, English and mixed collections (`springlet[multilingual]`)."""


class ModelRef(BaseModel):
    """A parsed model reference: which provider, and the model's name there."""

    model_config = ConfigDict(frozen=True)

    provider: Provider
    name: str = ""

    def __str__(self) -> str:
        return "auto" if self.provider == "auto" else f"{self.provider}:{self.name}"


def parse_model_ref(text: str) -> ModelRef:
    """Parse `text` into a `ModelRef`, or raise ValueError with a message that says the fix."""
    if not isinstance(text, str):
        raise ValueError(f"a model reference is a string like 'ollama:qwen2.5:7b', got {text!r}")
    raw = text.strip()
    if raw == "auto":
        return ModelRef(provider="auto")
    provider, sep, name = raw.partition(":")
    if not sep:
        close = difflib.get_close_matches(raw, PROVIDERS, n=1)
        if close:
            raise ValueError(f"model reference {raw!r} is not valid; did you mean '{close[0]}'?")
        raise ValueError(
            f"model reference {raw!r} names no provider; write 'ollama:{raw}', "
            f"'embedded:{raw}' or 'auto'"
        )
    if provider not in PROVIDERS or provider == "auto":
        close = difflib.get_close_matches(provider, PROVIDERS[1:], n=1)
        # `qwen2.5:7b` without a provider looks like an Ollama name with a tag
        guess = f"'{close[0]}:{name}'" if close else f"'ollama:{raw}'"
        raise ValueError(
            f"unknown model provider {provider!r} in {raw!r}; did you mean {guess}? "
            f"(providers: ollama, embedded, scripted, or plain 'auto')"
        )
    if not name.strip():
        raise ValueError(f"model reference {raw!r} has no model name after '{provider}:'")
    return ModelRef(provider=provider, name=name.strip())


def _coerce_ref(value: Any) -> Any:
    if isinstance(value, ModelRef):
        return value
    return parse_model_ref(value)


def _coerce_embedding_ref(value: Any) -> Any:
    ref = _coerce_ref(value)
    if ref.provider == "auto":
        raise ValueError(
            "embeddings cannot be 'auto': an index must always be queried with the embedder "
            "that built it; name one, e.g. 'embedded:all-minilm' or 'ollama:nomic-embed-text'"
        )
    return ref


ModelReference = Annotated[
    ModelRef,
    BeforeValidator(_coerce_ref),
    PlainSerializer(str, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^(auto|(ollama|embedded|scripted):.+)$",
            "description": "auto | ollama:<name> | embedded:smollm2 | embedded:/path/x.gguf"
            " | scripted:<name>",
        }
    ),
]
"""A chat model reference field in a spec (validated from a string)."""

EmbeddingReference = Annotated[
    ModelRef,
    BeforeValidator(_coerce_embedding_ref),
    PlainSerializer(str, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^(ollama|embedded|scripted):.+$",
            "description": "embedded:all-minilm | ollama:<embedding model>",
        }
    ),
]
"""An embedding model reference field in a spec; `auto` is refused (see message)."""
