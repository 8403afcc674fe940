"""Idempotent, incremental ingest of a collection into the knowledge store.

A file is re-read only when its hash changed (the hash covers its bytes, its tags and
the splitter settings); unchanged files cost nothing and embed nothing. Within a
changed file, chunks whose exact text is already indexed reuse their stored vector.
Files gone from disk leave the index. Work is committed in groups of files, each group
in one transaction, so an ingest killed at any moment resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from springlet.errors import SpringletError
from springlet.rag.loaders import SUPPORTED_SUFFIXES, DocumentLoadError, load_file
from springlet.rag.spec import CollectionSpec
from springlet.rag.splitting import Chunk, split_sections
from springlet.rag.store_protocol import EmbedderInfo, FileChunks, KnowledgeBackend

EMBED_BATCH = 64
"""Chunks embedded per call; also how much work one commit covers."""


@dataclass(frozen=True)
class SourceFile:
    path: Path
    relative: str
    tags: tuple[str, ...]


@dataclass(frozen=True)
class IngestProgress:
    """Reported after each file: how far along the ingest is."""

    done: int
    total: int
    path: str


@dataclass(frozen=True)
class IngestReport:
    collection: str
    files: int
    changed: int
    deleted: int
    chunks: int
    """Chunks now in the index."""
    embedded: int
    """Chunks sent to the embedder by this run."""
    reused: int
    """Chunks of changed files whose vector was already stored."""
    seconds: float
    cancelled: bool = False
    """`cancel` was set: files after the last committed group are left for next time."""
    skipped: tuple[SkippedFile, ...] = ()
    """Files that could not be read (left as they were in the index; retried next time)."""
    notes: tuple[str, ...] = ()
    """Warnings about files that were read (an encoding guessed, ...)."""


@dataclass(frozen=True)
class SkippedFile:
    """A file the ingest could not read, and why."""

    path: str
    reason: str


def discover_files(spec: CollectionSpec, root: Path) -> list[SourceFile]:
    """The collection's files: each source's path and glob, supported types only."""
    found: dict[str, SourceFile] = {}
    for source in spec.sources:
        if source.path is None:
            raise SpringletError(
                f"collection '{spec.name}' reads the resources of MCP server "
                f"'{source.mcp}', which only a workspace can fetch",
                hint="ingest it through the workspace (`springlet ingest`, ws.knowledge)",
            )
        base = (root / source.path).resolve()
        if not base.exists():
            raise SpringletError(
                f"collection '{spec.name}': source path {source.path} does not exist",
                hint=f"create {base} or fix the `path:` of the collection",
            )
        candidates = [base] if base.is_file() else sorted(base.glob(source.glob))
        for path in candidates:
            if path.is_file() and path.suffix.lower() in SUPPORTED_SUFFIXES:
                relative = _relative(path, root)
                found.setdefault(relative, SourceFile(path, relative, tuple(source.tags)))
    return [found[key] for key in sorted(found)]


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _file_hash(file: SourceFile, spec: CollectionSpec) -> str:
    digest = hashlib.sha256(file.path.read_bytes())
    digest.update(f"|tags={','.join(file.tags)}|{spec.splitter.model_dump_json()}".encode())
    return digest.hexdigest()


def stale_files(
    spec: CollectionSpec,
    root: Path,
    indexed: dict[str, str],
    hash_of: Callable[[SourceFile, CollectionSpec], str] = _file_hash,
) -> int:
    """How many files an ingest of `spec` would change: new, changed or deleted since the
    index (`indexed`: path -> content hash, as the store keeps it) was built."""
    try:
        files = discover_files(spec, root)
    except SpringletError:  # a source path that is gone: everything indexed is stale
        return len(indexed)
    on_disk = {f.relative: f for f in files}
    stale = len(set(indexed) - set(on_disk))
    return stale + sum(1 for rel, f in on_disk.items() if indexed.get(rel) != hash_of(f, spec))


def _text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def ingest_collection(
    spec: CollectionSpec,
    root: Path,
    store: KnowledgeBackend,
    embeddings: Embeddings,
    embedder: EmbedderInfo,
    *,
    rebuild: bool = False,
    progress: Callable[[IngestProgress], None] | None = None,
    cancel: threading.Event | None = None,
) -> IngestReport:
    """Bring the collection's index in line with its files (see the module doc).
    `cancel`, checked before each group of files, stops after the last committed one."""
    started = time.perf_counter()
    cid = store.pin_collection(spec.name, embedder, rebuild=rebuild)
    files = discover_files(spec, root)
    indexed = store.indexed_files(cid)
    skipped: list[SkippedFile] = []
    notes: list[str] = []
    hashes = _hashes(files, spec, skipped)
    readable = [f for f in files if f.relative in hashes]
    unhashed = len(skipped)  # counted in `done` below, unlike files skipped when loaded
    changed = [f for f in readable if indexed.get(f.relative) != hashes[f.relative]]
    deleted = sorted(set(indexed) - {f.relative for f in files})
    if deleted:
        store.delete_files(cid, deleted)
    embedded = reused = 0
    done = len(files) - len(changed)
    for group in _groups(changed, spec, skipped, notes, cancel):
        if cancel is not None and cancel.is_set():
            break
        written, fresh = _write_group(store, cid, group, hashes, embeddings, embedder)
        embedded += fresh
        reused += written - fresh
        for file, _ in group:
            done += 1
            if progress is not None:
                progress(IngestProgress(done, len(files), file.relative))
    if changed or deleted:
        store.optimize(cid)
    return IngestReport(
        collection=spec.name,
        files=len(files),
        changed=len(changed),
        deleted=len(deleted),
        chunks=store.chunk_count(cid),
        embedded=embedded,
        reused=reused,
        seconds=time.perf_counter() - started,
        cancelled=done + len(skipped) - unhashed < len(files),
        skipped=tuple(skipped),
        notes=tuple(notes),
    )


def _hashes(
    files: list[SourceFile], spec: CollectionSpec, skipped: list[SkippedFile]
) -> dict[str, str]:
    hashes: dict[str, str] = {}
    for file in files:
        try:
            hashes[file.relative] = _file_hash(file, spec)
        except OSError as exc:  # deleted or unreadable since it was listed
            skipped.append(SkippedFile(file.relative, _os_reason(exc)))
    return hashes


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "the file is gone (deleted while ingesting?)"
    return exc.strerror or str(exc)


def _groups(
    files: list[SourceFile],
    spec: CollectionSpec,
    skipped: list[SkippedFile],
    notes: list[str],
    cancel: threading.Event | None = None,
) -> Iterator[list[tuple[SourceFile, list[Chunk]]]]:
    """Files with their chunks, in groups of about EMBED_BATCH chunks; a file that cannot
    be read is skipped (one bad file never stops an ingest)."""
    group: list[tuple[SourceFile, list[Chunk]]] = []
    size = 0
    for file in files:
        if cancel is not None and cancel.is_set():
            return  # the caller sees the flag too and reports the ingest as cancelled
        try:
            chunks = split_sections(load_file(file.path, file.relative, notes), spec.splitter)
        except DocumentLoadError as exc:
            reason = exc.message.removeprefix(f"cannot read {file.relative}: ")
            skipped.append(SkippedFile(file.relative, reason))
            continue
        group.append((file, chunks))
        size += len(chunks)
        if size >= EMBED_BATCH:
            yield group
            group, size = [], 0
    if group:
        yield group


def _write_group(
    store: KnowledgeBackend,
    cid: int,
    group: list[tuple[SourceFile, list[Chunk]]],
    hashes: dict[str, str],
    embeddings: Embeddings,
    embedder: EmbedderInfo,
) -> tuple[int, int]:
    """Embed what is new in these files and commit them together; (chunks, embedded)."""
    text_hashes = [[_text_hash(c.text) for c in chunks] for _, chunks in group]
    flat = [h for hs in text_hashes for h in hs]
    known = store.known_vectors(cid, flat)
    todo: dict[str, str] = {}
    for (_, chunks), hs in zip(group, text_hashes, strict=True):
        for chunk, h in zip(chunks, hs, strict=True):
            if h not in known:
                todo.setdefault(h, chunk.text)
    fresh = _embed(embeddings, list(todo.values()), embedder)
    vectors: dict[str, Any] = {h: np.frombuffer(b, dtype=np.float32) for h, b in known.items()}
    vectors.update(zip(todo, fresh, strict=True))
    items = [
        FileChunks(
            path=file.relative,
            content_hash=hashes[file.relative],
            tags=file.tags,
            chunks=chunks,
            text_hashes=hs,
            vectors=np.array([vectors[h] for h in hs], dtype=np.float32).reshape(
                len(hs), embedder.dimension
            ),
        )
        for (file, chunks), hs in zip(group, text_hashes, strict=True)
    ]
    store.replace_files(cid, items)
    return len(flat), len(todo)


def _embed(embeddings: Embeddings, texts: list[str], embedder: EmbedderInfo) -> list[Any]:
    if not texts:
        return []
    array_fn = getattr(embeddings, "embed_array", None)
    raw = array_fn(texts) if callable(array_fn) else embeddings.embed_documents(texts)
    vectors = np.asarray(raw, dtype=np.float32)
    if vectors.shape != (len(texts), embedder.dimension):
        raise SpringletError(
            f"embedder {embedder.identity} returned vectors of shape {vectors.shape}, "
            f"expected ({len(texts)}, {embedder.dimension})",
            hint="check the embedding model; re-ingest with --rebuild after changing it",
        )
    return list(vectors)
