"""`ws.knowledge`: the workspace's collections — what is indexed, ingesting with progress
and cancellation, searching.

Built on `springlet.workspace.knowledge.WorkspaceKnowledge` (stores, embedders) and
`springlet.rag.ingest` (each group of files is committed in one transaction, so a
cancelled ingest leaves nothing half-written). When a collection was last ingested is
kept in `<data_dir>/ingests.sqlite`: the stores record only when an index was created.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from springlet.errors import WorkspaceError
from springlet.rag.ingest import IngestProgress as _FileProgress
from springlet.rag.ingest import IngestReport, ingest_collection, stale_files
from springlet.rag.ingest import _file_hash as file_hash  # the one hash ingest compares

if TYPE_CHECKING:
    from springlet.rag.sources import Source
    from springlet.rag.spec import CollectionSpec
    from springlet.workspace.knowledge import ResourceReader, WorkspaceKnowledge
    from springlet.workspace.loaded import LoadedWorkspace

LOG_FILE = "ingests.sqlite"
_LOG_SCHEMA = "CREATE TABLE IF NOT EXISTS ingests (collection TEXT PRIMARY KEY, finished_at TEXT)"


@dataclass(frozen=True)
class CollectionInfo:
    """A collection as declared, and what its index holds."""

    name: str
    description: str
    store: str
    embedder: str
    """The configured embedder's reference (e.g. `embedded:all-minilm`)."""
    files: int
    """Files in the index."""
    chunks: int
    last_ingest: datetime | None
    stale_files: int
    """Files added, changed or removed on disk since the last ingest."""
    ingested: bool


@dataclass(frozen=True)
class IngestProgress:
    """Reported after each file an ingest has handled."""

    collection: str
    done: int
    total: int
    path: str


@dataclass(frozen=True)
class SearchHit:
    """One retrieved chunk."""

    text: str
    source: str
    heading: str
    score: float
    chunk_id: int


SearchMode = Literal["hybrid", "vector", "lexical"]


@dataclass(frozen=True)
class StoreSetAside:
    """A damaged knowledge store that was moved aside (its indexes are rebuilt from the
    collections' files, so nothing is lost but the time to embed them again)."""

    reason: str
    """What was wrong with it."""
    moved_to: Path


class Knowledge:
    """The collections of one loaded workspace."""

    def __init__(
        self, loaded: Callable[[], LoadedWorkspace], resources: ResourceReader | None = None
    ) -> None:
        self._loaded = loaded
        self._resources = resources
        """The workspace as currently loaded (a reload replaces it)."""
        self._rag: tuple[LoadedWorkspace, WorkspaceKnowledge] | None = None
        self._hashes: dict[tuple[str, int, int, str], str] = {}

    @property
    def loaded(self) -> LoadedWorkspace:
        return self._loaded()

    @property
    def rag(self) -> WorkspaceKnowledge:
        """springlet.rag's view of the current load (made anew after a reload)."""
        loaded = self.loaded
        if self._rag is None or self._rag[0] is not loaded:
            from springlet.workspace.knowledge import WorkspaceKnowledge

            self._rag = (loaded, WorkspaceKnowledge(loaded, resources=self._resources))
        return self._rag[1]

    @property
    def names(self) -> builtins.list[str]:
        """The declared collections' names, sorted (reads nothing: no index, no file)."""
        return sorted(self.loaded.collections)

    def list(self) -> builtins.list[CollectionInfo]:
        """Every declared collection, by name. Counting stale files reads each file that
        changed on disk (hashes of unchanged files are remembered by size and mtime)."""
        return [
            self._info(self.loaded.collections[name]) for name in sorted(self.loaded.collections)
        ]

    async def alist(self) -> builtins.list[CollectionInfo]:
        return await asyncio.to_thread(self.list)

    def ingest(
        self,
        name: str,
        *,
        rebuild: bool = False,
        on_progress: Callable[[IngestProgress], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> IngestReport:
        """Index the collection's files (only changed ones unless `rebuild`). Setting
        `cancel` stops it after the group of files being written (report.cancelled).
        A collection whose file has problems raises WorkspaceError listing them."""
        self._check_usable(name)
        spec = self.rag.collection(name)
        resolved = self.rag.embedder(spec)
        from springlet.workspace.knowledge import _info as embedder_info

        def report(step: _FileProgress) -> None:
            if on_progress is not None:
                on_progress(IngestProgress(name, step.done, step.total, step.path))

        spec = self.rag.fetch_sources(spec)
        result = ingest_collection(
            spec,
            self.loaded.root,
            self.rag.store(spec),
            resolved.embeddings,
            embedder_info(resolved),
            rebuild=rebuild,
            progress=report,
            cancel=cancel,
        )
        if not result.cancelled:
            with self._log() as log:
                log.execute(
                    "INSERT OR REPLACE INTO ingests VALUES (?, ?)",
                    (name, datetime.now(UTC).isoformat(timespec="seconds")),
                )
        return result

    async def aingest(
        self,
        name: str,
        *,
        rebuild: bool = False,
        on_progress: Callable[[IngestProgress], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> IngestReport:
        """`ingest` in a worker thread; cancelling the awaiting task sets `cancel`."""
        flag = cancel or threading.Event()
        work = asyncio.to_thread(
            self.ingest, name, rebuild=rebuild, on_progress=on_progress, cancel=flag
        )
        task = asyncio.ensure_future(work)
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            flag.set()
            with contextlib.suppress(Exception):
                await task  # let the group being written commit before giving up
            raise

    def search(self, name: str, query: str, *, top_k: int = 5) -> builtins.list[SearchHit]:
        """The `top_k` best chunks of collection `name` for `query`."""
        return [_hit(source) for source in self.retrieve(name, query, top_k=top_k)]

    def retrieve(
        self,
        name: str,
        query: str,
        *,
        top_k: int = 5,
        min_score: float = 0.0,
        sources: Sequence[str] = (),
        tags: Sequence[str] = (),
        mode: SearchMode = "hybrid",
    ) -> builtins.list[Source]:
        """`search` with the retriever's filters, as the passages agents cite (with
        citation, snippet, page and offsets): only files matching a `sources` glob or
        carrying one of `tags`, scoring at least `min_score`, ranked by `mode`."""
        self._check_usable(name)
        return self.rag.retriever(name).retrieve(
            query, top_k=top_k, min_score=min_score, sources=sources, tags=tags, mode=mode
        )

    async def asearch(self, name: str, query: str, *, top_k: int = 5) -> builtins.list[SearchHit]:
        return await asyncio.to_thread(self.search, name, query, top_k=top_k)

    def language_warning(self, name: str) -> str | None:
        """A warning when the collection's embedder knows only English and a sample of
        its files is in another language (Chinese, Japanese, ...); None otherwise."""
        from springlet.workspace.knowledge import collection_language_warning

        return collection_language_warning(self.rag, name)

    def set_damaged_store_aside(self) -> StoreSetAside | None:
        """Move the workspace's knowledge.sqlite aside when it is damaged (then every
        collection in it needs ingesting again); None when it is sound or absent."""
        from springlet.sqlite_faults import StoreError, move_aside
        from springlet.workspace.knowledge import shared_store

        if not self.rag.store_path.exists():
            return None
        try:
            shared_store(self.rag.store_path)
        except StoreError as exc:
            if not exc.damaged:
                raise
            return StoreSetAside(exc.message, move_aside(exc.path))
        return None

    # -- parts --------------------------------------------------------------------------

    def _check_usable(self, name: str) -> None:
        broken = self.loaded.unusable.get(f"collection:{name}")
        if broken:
            raise WorkspaceError(f"collection '{name}' cannot be used", broken)

    def _info(self, spec: CollectionSpec) -> CollectionInfo:
        embedder = str(spec.embeddings or self.loaded.settings.embeddings)
        indexed: dict[str, str] = {}
        chunks = 0
        pinned = None
        with contextlib.suppress(Exception):  # a server store that is down: shown as empty
            store = self.rag.store(spec)
            pinned = store.pinned_embedder(spec.name)
            if pinned is not None:
                indexed = store.indexed_files(pinned[0])
                chunks = store.chunk_count(pinned[0])
        return CollectionInfo(
            name=spec.name,
            description=spec.description or "",
            store=spec.store,
            embedder=embedder,
            files=len(indexed),
            chunks=chunks,
            last_ingest=self._last_ingest(spec.name) if pinned else None,
            stale_files=self._stale(spec, indexed),
            ingested=pinned is not None,
        )

    def _stale(self, spec: CollectionSpec, indexed: dict[str, str]) -> int:
        files = self.rag.files_spec(spec)
        return stale_files(files, self.loaded.root, indexed, hash_of=self._hash)

    def _hash(self, file: Any, spec: CollectionSpec) -> str:
        stat = file.path.stat()
        key = (str(file.path), stat.st_size, stat.st_mtime_ns, spec.splitter.model_dump_json())
        if key not in self._hashes:
            self._hashes[key] = file_hash(file, spec)
        return self._hashes[key]

    def _last_ingest(self, name: str) -> datetime | None:
        if not (self.loaded.data_dir / LOG_FILE).exists():
            return None
        with self._log() as log:
            row = log.execute(
                "SELECT finished_at FROM ingests WHERE collection = ?", (name,)
            ).fetchone()
        return datetime.fromisoformat(row[0]) if row else None

    @contextlib.contextmanager
    def _log(self) -> Iterator[sqlite3.Connection]:
        self.loaded.data_dir.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.loaded.data_dir / LOG_FILE, timeout=10.0, isolation_level=None)
        try:
            conn.execute(_LOG_SCHEMA)
            yield conn
        finally:
            conn.close()


def _hit(source: Source) -> SearchHit:
    return SearchHit(
        text=source.text,
        source=source.path,
        heading=source.heading,
        score=source.score,
        chunk_id=source.chunk_id,
    )
