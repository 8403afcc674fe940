"""The GGUF models that run in-process (`embedded:NAME`): the bundled one, those imported
into the workspace's model store (`springlet models import`), and those in the local
Ollama store on disk — each with what its header says and a memory estimate."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from springlet.errors import ModelError
from springlet.models.model_store import StoredModel as StoredModel  # re-exported

if TYPE_CHECKING:
    from springlet.models.fit import FitEstimate


def local_models(root: Path, data_dir: str) -> list[StoredModel]:
    """Bundled, imported (under `root`/`data_dir`) and Ollama-store GGUFs."""
    from springlet.models.gguf import SMOLLM2, bundled_gguf_path
    from springlet.models.gguf_header import read_gguf_metadata
    from springlet.models.model_store import (
        imported_models,
        ollama_models,
        ollama_store,
        workspace_store,
    )

    found: list[StoredModel] = []
    try:
        path = bundled_gguf_path(SMOLLM2)
        bundled = StoredModel(
            SMOLLM2.name, path, f"bundled:{SMOLLM2.distribution}", SMOLLM2.sha256,
            read_gguf_metadata(path),
        )  # fmt: skip
        found.append(bundled)
    except ModelError:  # not installed or damaged: `embedded:smollm2` says why when used
        pass
    found += imported_models(workspace_store(root, data_dir))
    for name, blob in ollama_models():
        try:
            meta = read_gguf_metadata(blob)
        except (ModelError, OSError):  # a blob springlet cannot read is not listed
            continue
        digest = blob.name.removeprefix("sha256-")
        found.append(StoredModel(name, blob, f"ollama:{ollama_store()}", digest, meta))
    return found


def local_fit(model: StoredModel) -> FitEstimate:
    """The memory estimate of an in-process model, from its GGUF header."""
    from springlet.models.fit import estimate_fit
    from springlet.models.ollama_catalog import ModelInfo

    meta = model.metadata
    info = ModelInfo(
        name=model.name,
        family=meta.family,
        parameter_size=meta.parameter_size,
        quantization_level=meta.quantization,
        context_length=meta.context_length,
        parameter_count=meta.parameter_count,
        block_count=meta.block_count,
        head_count_kv=meta.head_count_kv,
        head_dim=meta.head_dim,
    )
    return estimate_fit(info)


def import_local_model(
    root: Path, data_dir: str, file: Path, *, name: str | None, link: bool, force: bool
) -> StoredModel:
    """Copy (or link) the GGUF `file` into the workspace's model store, with its sha256."""
    from springlet.models.model_store import import_gguf, workspace_store

    return import_gguf(file, workspace_store(root, data_dir), name=name, link=link, force=force)
