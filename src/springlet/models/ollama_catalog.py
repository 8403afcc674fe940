"""What an Ollama server has: its host, its models and their capabilities, pulling more.

Capabilities and context length are probed from `/api/show`, never guessed from a
model's name, and cached per (host, model) for the life of the process.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import ollama

from springlet._runtime import process_state
from springlet.errors import ModelNotFoundError, SpringletError
from springlet.models.ollama_config import (
    DEFAULT_OLLAMA_HOST,
    HOST_FORM,
    ModelSettings,
    host_url_problem,
)
from springlet.models.ollama_errors import ollama_errors

DEFAULT_PORT = 11434


def ollama_host(settings: ModelSettings | None = None) -> str:
    """The server to talk to: OLLAMA_HOST, else `ollama.host` in springlet.yaml, else local."""
    from_env = os.environ.get("OLLAMA_HOST")
    problem = host_url_problem(from_env) if from_env else None
    if problem:
        # springlet.yaml's `ollama.host` is checked by `validate`; the variable is not
        raise SpringletError(
            f"the environment variable OLLAMA_HOST is malformed: {problem}",
            hint=f"export OLLAMA_HOST={HOST_FORM} (e.g. http://127.0.0.1:11434), or unset it",
        )
    configured = from_env or (settings.ollama.host if settings else None)
    return normalize_host(configured or DEFAULT_OLLAMA_HOST)


def normalize_host(host: str) -> str:
    """`0.0.0.0:11434`, `localhost`, `http://h:1/` -> a URL a client can connect to."""
    text = host.strip().rstrip("/")
    if "://" not in text:
        text = f"http://{text}"
    scheme, _, rest = text.partition("://")
    netloc, slash, path = rest.partition("/")
    hostname, colon, port = netloc.rpartition(":") if ":" in netloc else (netloc, "", "")
    if hostname in ("0.0.0.0", ""):  # a bind address; clients connect to loopback
        hostname = "127.0.0.1"
    if not colon:
        port = "443" if scheme == "https" else str(DEFAULT_PORT)
    return f"{scheme}://{hostname}:{port}{slash}{path}"


def server_version(host: str, timeout_s: float = 0.5) -> str | None:
    """Ollama's version if `host` answers `/api/version` within `timeout_s`, else None."""
    try:
        response = httpx.get(f"{host}/api/version", timeout=timeout_s)
        response.raise_for_status()
        version = response.json().get("version")
    except (httpx.HTTPError, ValueError, AttributeError):
        return None
    return str(version) if version else None


@dataclass(frozen=True)
class ModelInfo:
    """One installed model, from `/api/tags` and `/api/show`."""

    name: str
    family: str = ""
    parameter_size: str = ""
    quantization_level: str = ""
    context_length: int | None = None
    capabilities: frozenset[str] = frozenset()
    digest: str | None = None
    size_bytes: int | None = None
    embedding_length: int | None = None
    parameter_count: int | None = None
    block_count: int | None = None
    """Transformer layers; with the two below, sizes the KV cache."""
    head_count_kv: int | None = None
    head_dim: int | None = None

    @property
    def supports_tools(self) -> bool:
        return "tools" in self.capabilities

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "family": self.family,
            "parameter_size": self.parameter_size,
            "quantization_level": self.quantization_level,
            "context_length": self.context_length,
            "capabilities": sorted(self.capabilities),
            "digest": self.digest,
            "size_bytes": self.size_bytes,
        }


@dataclass(frozen=True)
class PullProgress:
    """One progress line of a pull: a status, and byte counts while downloading."""

    status: str
    completed: int | None = None
    total: int | None = None
    digest: str | None = None


_show_cache: dict[tuple[str, str], ModelInfo] = {}
_show_lock = threading.Lock()


def forget_cached_models() -> None:
    """Drop every cached `/api/show` answer (after a pull, or between tests)."""
    with _show_lock:
        _show_cache.clear()


process_state.register("models.ollama_catalog", forget=forget_cached_models)


def _full_name(name: str) -> str:
    return name if ":" in name else f"{name}:latest"


_clients: dict[tuple[str, float], ollama.Client] = {}
_clients_lock = threading.Lock()


def _shared_client(host: str, timeout_s: float) -> ollama.Client:
    """One HTTP client per server and timeout for the process: catalogs are made per
    question (resolve, num_ctx, the CLI), and a client each left its connections open."""
    with _clients_lock:
        client = _clients.get((host, timeout_s))
        if client is None:
            client = _clients[(host, timeout_s)] = ollama.Client(host=host, timeout=timeout_s)
        return client


class OllamaCatalog:
    """The models of one Ollama server."""

    def __init__(self, host: str, timeout_s: float = 30.0) -> None:
        self.host = host
        self.timeout_s = timeout_s
        self._client = _shared_client(host, timeout_s)

    def show(self, name: str) -> ModelInfo:
        """Details and capabilities of `name` (cached per host and model)."""
        key = (self.host, _full_name(name))
        with _show_lock:
            cached = _show_cache.get(key)
        if cached is not None:
            return cached
        with ollama_errors(self.host, name, self.timeout_s):
            shown = self._client.show(name)
        info = _info_from_show(name, shown.model_dump(exclude_none=True))
        with _show_lock:
            _show_cache[key] = info
        return info

    def list_models(self) -> list[ModelInfo]:
        """Every installed model with details from `/api/tags` and context length from show."""
        with ollama_errors(self.host, "(list)", self.timeout_s):
            listed = self._client.list().models
        models = []
        for entry in listed:
            name = entry.model or ""
            shown = self.show(name)
            models.append(
                ModelInfo(
                    **{
                        **shown.__dict__,
                        "digest": entry.digest,
                        "size_bytes": entry.size,
                    }
                )
            )
        return models

    def digest(self, name: str) -> str | None:
        """The model's content digest from `/api/tags` (None when not listed)."""
        with ollama_errors(self.host, name, self.timeout_s):
            listed = self._client.list().models
        wanted = _full_name(name)
        return next((m.digest for m in listed if m.model == wanted), None)

    def pull(self, name: str, progress: Callable[[PullProgress], None] | None = None) -> None:
        """Download `name`, reporting each progress line to `progress`."""
        with ollama_errors(self.host, name, self.timeout_s):
            try:
                for line in self._client.pull(name, stream=True):
                    if progress is not None:
                        progress(
                            PullProgress(
                                status=line.status or "",
                                completed=line.completed,
                                total=line.total,
                                digest=line.digest,
                            )
                        )
            except ollama.ResponseError as exc:
                if exc.status_code not in (-1, 404):
                    raise
                raise ModelNotFoundError(
                    f"Ollama at {self.host} could not pull '{name}': {exc.error}",
                    hint="check the model name (https://ollama.com/library) and that the "
                    "Ollama server can reach its registry",
                ) from exc
        with _show_lock:
            _show_cache.pop((self.host, _full_name(name)), None)


def _info_from_show(name: str, shown: Mapping[str, Any]) -> ModelInfo:
    details = shown.get("details") or {}
    model_info = shown.get("modelinfo") or shown.get("model_info") or {}
    arch = model_info.get("general.architecture") or details.get("family") or ""
    context = model_info.get(f"{arch}.context_length")
    embedding = model_info.get(f"{arch}.embedding_length")
    count = model_info.get("general.parameter_count")
    heads = _int(model_info.get(f"{arch}.attention.head_count"))
    key_length = _int(model_info.get(f"{arch}.attention.key_length"))
    head_dim = key_length or (int(embedding) // heads if embedding and heads else None)
    return ModelInfo(
        name=_full_name(name),
        family=str(details.get("family") or arch),
        parameter_size=str(details.get("parameter_size") or ""),
        quantization_level=str(details.get("quantization_level") or ""),
        context_length=int(context) if context else None,
        capabilities=frozenset(shown.get("capabilities") or ()),
        embedding_length=int(embedding) if embedding else None,
        parameter_count=int(count) if count else None,
        block_count=_int(model_info.get(f"{arch}.block_count")),
        head_count_kv=_int(model_info.get(f"{arch}.attention.head_count_kv")) or heads,
        head_dim=head_dim,
    )


def _int(value: Any) -> int | None:
    # head counts can be per-layer lists in some architectures; take the largest
    if isinstance(value, list):
        value = max(value) if value else None
    return int(value) if isinstance(value, int | float) and value else None
