"""GGUF models on this machine: the workspace's own store, and Ollama's.

The workspace store is `<data_dir>/models/` (`.springlet/models/` by default): each
imported model is `NAME.gguf` (a copy, or with `link=True` a symbolic link to the
original) and `NAME.json`, which records its sha256, where it came from and what its
header says (`gguf_header.GGUFMetadata`). `springlet models import` writes it;
`embedded:NAME` reads it.

Ollama's store is read in place, so a model pulled by Ollama runs in-process even
while the server is stopped: `$OLLAMA_MODELS` (default `~/.ollama/models`) holds
`manifests/<registry>/<namespace>/<model>/<tag>` (JSON listing the layers) and
`blobs/sha256-<hex>`; the layer of media type `application/vnd.ollama.image.model` is
the GGUF. `qwen2.5:7b` is `registry.ollama.ai/library/qwen2.5/7b`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from springlet.errors import ModelError
from springlet.models.gguf_header import GGUFMetadata, read_gguf_metadata

MODEL_LAYER = "application/vnd.ollama.image.model"
DEFAULT_REGISTRY = "registry.ollama.ai"
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class StoredModel:
    """A GGUF springlet can run by name, and what its header says."""

    name: str
    path: Path
    source: str
    """`import:<original path>`, `ollama:<store>` or `bundled:<package>`."""
    sha256: str
    metadata: GGUFMetadata


def workspace_store(root: Path, data_dir: str = ".springlet") -> Path:
    """Where the workspace at `root` keeps imported models."""
    return root / data_dir / "models"


def import_gguf(
    source: Path, store: Path, *, name: str | None = None, link: bool = False, force: bool = False
) -> StoredModel:
    """Copy (or link) the GGUF at `source` into `store` under `name` and record it."""
    from springlet.models.gguf import sha256_of

    metadata = read_gguf_metadata(source)  # refuses a non-GGUF before anything is copied
    chosen = (name or source.stem).strip().lower()
    if not _NAME.match(chosen):
        raise ModelError(
            f"'{chosen}' cannot name a model",
            hint="use lower-case letters, digits, '.', '-' or '_' (e.g. --name gemma3-270m)",
        )
    target, record = store / f"{chosen}.gguf", store / f"{chosen}.json"
    if (target.exists() or target.is_symlink() or record.exists()) and not force:
        raise ModelError(
            f"a model named '{chosen}' is already imported ({target})",
            hint="choose another --name, or pass --force to replace it",
        )
    store.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    if link:
        target.symlink_to(source.resolve())
    else:
        shutil.copyfile(source, target)
    model = StoredModel(chosen, target, f"import:{source.resolve()}", sha256_of(target), metadata)
    payload = {
        "name": chosen,
        "file": target.name,
        "source": model.source,
        "sha256": model.sha256,
        "metadata": dataclasses.asdict(metadata),
    }
    record.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return model


def imported_models(store: Path) -> list[StoredModel]:
    """The models recorded in `store`, by name (records whose file is gone are skipped)."""
    found = []
    for record in sorted(store.glob("*.json")) if store.is_dir() else []:
        try:
            data = json.loads(record.read_text(encoding="utf-8"))
            path = store / data["file"]
            metadata = GGUFMetadata(**data["metadata"])
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not one of ours, or damaged: `models import --force` rewrites it
        if path.is_file():
            found.append(StoredModel(data["name"], path, data["source"], data["sha256"], metadata))
    return found


def find_imported(store: Path, name: str) -> StoredModel | None:
    """The imported model called `name`, if any."""
    wanted = name.strip().lower()
    return next((m for m in imported_models(store) if m.name == wanted), None)


def ollama_store() -> Path:
    """Ollama's model directory: `$OLLAMA_MODELS`, else `~/.ollama/models`."""
    configured = os.environ.get("OLLAMA_MODELS", "").strip()
    return Path(configured).expanduser() if configured else Path.home() / ".ollama" / "models"


def _manifest_path(store: Path, name: str) -> Path:
    model, _, tag = name.strip().partition(":")
    parts = model.split("/")
    if len(parts) == 1:
        parts = [DEFAULT_REGISTRY, "library", *parts]
    elif len(parts) == 2:
        parts = [DEFAULT_REGISTRY, *parts]
    return store.joinpath("manifests", *parts, tag or "latest")


def ollama_blob(name: str, store: Path | None = None) -> Path | None:
    """The GGUF blob of Ollama model `name` (`qwen2.5:7b`) in its local store, if pulled."""
    base = store or ollama_store()
    manifest = _manifest_path(base, name)
    if ".." in name or not manifest.is_file():
        return None
    try:
        layers = json.loads(manifest.read_text(encoding="utf-8")).get("layers", [])
    except (OSError, ValueError):
        return None
    for layer in layers:
        if layer.get("mediaType") == MODEL_LAYER and str(layer.get("digest", "")).startswith(
            "sha256:"
        ):
            blob = base / "blobs" / layer["digest"].replace(":", "-", 1)
            return blob if blob.is_file() else None
    return None


def ollama_models(store: Path | None = None) -> list[tuple[str, Path]]:
    """Every model pulled into the local Ollama store, as (name, GGUF blob)."""
    base = store or ollama_store()
    root = base / "manifests"
    found = []
    for manifest in sorted(root.rglob("*")) if root.is_dir() else []:
        if not manifest.is_file():
            continue
        *repo, tag = manifest.relative_to(root).parts
        if repo[:2] == [DEFAULT_REGISTRY, "library"]:
            repo = repo[2:]
        elif repo[:1] == [DEFAULT_REGISTRY]:
            repo = repo[1:]
        name = f"{'/'.join(repo)}:{tag}"
        blob = ollama_blob(name, base)
        if blob is not None:
            found.append((name, blob))
    return found
