"""Model references as users write them: `auto`, `ollama:qwen2.5:7b`, `embedded:smollm2`,
`embedded:/path/model.gguf`, `scripted:NAME`; `ollama@NAME:model` for a host declared in
springlet.yaml's `ollama.hosts`; and a list of them, a fallback chain (chat models only).

Parsing is pure (no I/O) so specs can validate references at load time; resolving a
reference to a running model is `springlet.models.resolve`'s job.
"""

from __future__ import annotations

import difflib
import re
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
    host: str | None = None
    """The `ollama.hosts` entry this Ollama model is served from (None: the default host)."""
    fallbacks: tuple[ModelRef, ...] = ()
    """The rest of a fallback chain: tried in order when this model cannot answer."""

    def __str__(self) -> str:
        if self.fallbacks:
            return "[" + ", ".join(str(ref) for ref in self.chain) + "]"
        if self.provider == "auto":
            return "auto"
        where = f"@{self.host}" if self.host else ""
        return f"{self.provider}{where}:{self.name}"

    @property
    def chain(self) -> tuple[ModelRef, ...]:
        """This reference and its fallbacks, each on its own."""
        head = self.model_copy(update={"fallbacks": ()}) if self.fallbacks else self
        return (head, *self.fallbacks)


_HOST_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def parse_model_ref(text: str) -> ModelRef:
    """Parse `text` into a `ModelRef`, or raise ValueError with a message that says the fix."""
    if not isinstance(text, str):
        raise ValueError(f"a model reference is a string like 'ollama:qwen2.5:7b', got {text!r}")
    raw = text.strip()
    if raw == "auto":
        return ModelRef(provider="auto")
    provider, sep, name = raw.partition(":")
    provider, at, host = provider.partition("@")
    if at and (provider != "ollama" or not _HOST_NAME.match(host)):
        raise ValueError(
            f"model reference {raw!r}: '@NAME' names an Ollama host declared under "
            "`ollama.hosts` in springlet.yaml, as in 'ollama@gpu2:qwen2.5:7b'"
        )
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
    return ModelRef(provider=provider, name=name.strip(), host=host or None)


def parse_model_chain(value: Any) -> ModelRef:
    """A reference, or a list of them (a fallback chain: the first, then its fallbacks)."""
    if isinstance(value, ModelRef):
        return value
    if not isinstance(value, list | tuple):
        return parse_model_ref(value)
    if not value:
        raise ValueError("a model list needs at least one model reference")
    refs: list[ModelRef] = []
    for item in value:
        if isinstance(item, list | tuple):
            raise ValueError("a fallback chain is one flat list of model references")
        refs.extend(parse_model_chain(item).chain)
    head, *rest = refs
    return head.model_copy(update={"fallbacks": tuple(rest)}) if rest else head


def _coerce_ref(value: Any) -> Any:
    return parse_model_chain(value)


def _serialize_ref(ref: ModelRef) -> str | list[str]:
    return [str(r) for r in ref.chain] if ref.fallbacks else str(ref)


def _coerce_embedding_ref(value: Any) -> Any:
    if isinstance(value, list | tuple):
        raise ValueError(
            "embeddings take one model, not a list: an index is pinned to the embedder that "
            "built it (another embedder's vectors cannot be compared with its vectors), so "
            "there is nothing to fall back to; name one, e.g. 'embedded:all-minilm'"
        )
    ref = value if isinstance(value, ModelRef) else parse_model_ref(value)
    if ref.provider == "auto":
        raise ValueError(
            "embeddings cannot be 'auto': an index must always be queried with the embedder "
            "that built it; name one, e.g. 'embedded:all-minilm' or 'ollama:nomic-embed-text'"
        )
    return ref


_ONE_REF_SCHEMA = {
    "type": "string",
    "pattern": r"^(auto|(ollama(@[A-Za-z_][A-Za-z0-9_-]*)?|embedded|scripted):.+)$",
    "description": "auto | ollama:<name> | ollama@<host name>:<name> | embedded:smollm2"
    " | embedded:/path/x.gguf | scripted:<name>",
}

ModelReference = Annotated[
    ModelRef,
    BeforeValidator(_coerce_ref),
    PlainSerializer(_serialize_ref),
    WithJsonSchema(
        {
            "anyOf": [
                _ONE_REF_SCHEMA,
                {
                    "type": "array",
                    "items": _ONE_REF_SCHEMA,
                    "minItems": 1,
                    "description": "a fallback chain: the next is tried when a server is "
                    "down, a model is missing or the prompt does not fit",
                },
            ]
        }
    ),
]
"""A chat model reference field in a spec (a string, or a list: a fallback chain)."""

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
