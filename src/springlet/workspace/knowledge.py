"""The knowledge collections of one loaded workspace: ingest them, retrieve from them.

    knowledge = WorkspaceKnowledge(loaded)            # loaded = load_workspace_files(root)
    report = knowledge.ingest("manual")               # idempotent; --rebuild re-indexes
    sources = knowledge.retriever("manual").retrieve("How do I reset it?")

Collections with `store: sqlite` (the default) live in `<data_dir>/knowledge.sqlite`;
those with `store: pgvector` in the PostgreSQL database their `url:` names (which may
use `${VARIABLE}`s; see `springlet.rag.pg_connect`). Each collection is embedded with its
`embeddings:` (or the workspace's) and its index is pinned to it.
"""

from __future__ import annotations

import difflib
import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from springlet._runtime import process_state
from springlet.errors import NotFoundError, SpringletError
from springlet.rag.ingest import IngestProgress, IngestReport, ingest_collection
from springlet.rag.retriever import Retriever
from springlet.rag.spec import AVAILABLE_STORES, CollectionSpec, SourceSpec
from springlet.rag.store import SqliteKnowledgeStore
from springlet.rag.store_protocol import EmbedderInfo, KnowledgeBackend

log = logging.getLogger("springlet.knowledge")

if TYPE_CHECKING:
    from springlet.models.reference import ModelRef
    from springlet.models.resolve import ResolvedEmbeddings
    from springlet.settings import WorkspaceSettings
    from springlet.workspace.loaded import LoadedWorkspace

    EmbeddingsResolver = Callable[[ModelRef, WorkspaceSettings], ResolvedEmbeddings]

STORE_FILE = "knowledge.sqlite"

_stores: dict[Path, SqliteKnowledgeStore] = {}
_servers: dict[str, KnowledgeBackend] = {}
_stores_lock = threading.Lock()


def shared_store(path: Path) -> SqliteKnowledgeStore:
    """One open store per database file and process."""
    key = path.resolve()
    with _stores_lock:
        store = _stores.get(key)
        if store is None:
            store = _stores[key] = SqliteKnowledgeStore(key)
        return store


def shared_server_store(spec: CollectionSpec) -> KnowledgeBackend:
    """One open store per server database and process (`store: pgvector` collections)."""
    try:
        from springlet.rag.pg_connect import pg_target
        from springlet.rag.pgvector_store import PgVectorStore
    except ImportError as exc:
        raise SpringletError(
            f"collection '{spec.name}': store 'pgvector' needs psycopg and pgvector, "
            f"which are not installed ({exc})",
            hint="pip install 'springlet[pgvector]'",
        ) from None
    target = pg_target(spec.url or "", spec.name)
    with _stores_lock:
        store = _servers.get(target.conninfo)
        if store is None:
            store = _servers[target.conninfo] = PgVectorStore(target)
        return store


def close_shared_stores() -> None:
    with _stores_lock:
        for store in [*_stores.values(), *_servers.values()]:
            store.close()
        _stores.clear()
        _servers.clear()


process_state.register("knowledge.stores", close=close_shared_stores)


class WorkspaceKnowledge:
    """Ingest and retrieval for the collections a workspace declares."""

    def __init__(
        self,
        loaded: LoadedWorkspace,
        *,
        resolve: EmbeddingsResolver | None = None,
        ingest_on_first_use: bool = False,
        resources: ResourceReader | None = None,
    ) -> None:
        self.loaded = loaded
        self._resolve = resolve
        self._resources = resources
        """Reads an MCP server's resources (`sources: [{mcp: NAME, uri: ...}]`)."""
        # agents ingest a collection they need on first use as `knowledge.auto_ingest`
        # says; `springlet search` and the like never do
        self._auto_ingest = (
            loaded.settings.knowledge.auto_ingest if ingest_on_first_use else "never"
        )
        self._checked: set[str] = set()
        self._embedders: dict[str, ResolvedEmbeddings] = {}
        self._lock = threading.Lock()

    @property
    def store_path(self) -> Path:
        return self.loaded.data_dir / STORE_FILE

    def collection(self, name: str) -> CollectionSpec:
        spec = self.loaded.collections.get(name)
        if spec is None:
            known = sorted(self.loaded.collections)
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"did you mean '{close[0]}'?" if close else None
            listing = ", ".join(known) or "none"
            raise NotFoundError(
                f"no collection named '{name}' (collections: {listing})",
                hint=hint or "declare it in knowledge/<name>.yaml",
            )
        if spec.store not in AVAILABLE_STORES:
            raise SpringletError(
                f"collection '{name}': store '{spec.store}' is not available in this build",
                hint="use `store: sqlite` (embedded) or `store: pgvector` with a PostgreSQL `url:`",
            )
        return spec

    def embedder(self, spec: CollectionSpec) -> ResolvedEmbeddings:
        """The collection's embedder, resolved once per reference."""
        ref = spec.embeddings or self.loaded.settings.embeddings
        with self._lock:
            cached = self._embedders.get(str(ref))
        if cached is not None:
            return cached
        resolve = self._resolve
        if resolve is None:
            from springlet.models.resolve import resolve_embeddings

            resolve = resolve_embeddings
        resolved = resolve(ref, self.loaded.settings)
        with self._lock:
            self._embedders[str(ref)] = resolved
        return resolved

    def store(self, spec: CollectionSpec | None = None) -> KnowledgeBackend:
        """The store holding `spec`'s index (default: the workspace's SQLite file)."""
        if spec is None or spec.store == "sqlite":
            return shared_store(self.store_path)
        return shared_server_store(spec)

    def files_spec(self, spec: CollectionSpec) -> CollectionSpec:
        """`spec` with each MCP source replaced by the folder its resources are kept in
        (`<data_dir>/mcp-resources/<collection>/<server>/`), as the last ingest fetched them."""
        if not any(source.mcp for source in spec.sources):
            return spec
        sources = [
            source
            if source.mcp is None
            else SourceSpec(path=str(self._resource_folder(spec, source)), tags=source.tags)
            for source in spec.sources
        ]
        return spec.model_copy(update={"sources": sources})

    def fetch_sources(self, spec: CollectionSpec) -> CollectionSpec:
        """Read the MCP resources of `spec` into their folders (each as a Markdown file;
        what the server no longer lists is removed), then `files_spec(spec)`."""
        for source in spec.sources:
            if source.mcp is None or source.uri is None:
                continue
            if self._resources is None:
                raise SpringletError(
                    f"collection '{spec.name}' reads the resources of MCP server "
                    f"'{source.mcp}', and nothing here can reach MCP servers",
                    hint="ingest it through the workspace: `springlet ingest` or ws.knowledge",
                )
            _write_resources(
                self._resource_folder(spec, source), self._resources(source.mcp, source.uri)
            )
        return self.files_spec(spec)

    def _resource_folder(self, spec: CollectionSpec, source: SourceSpec) -> Path:
        from springlet.tools.names import model_tool_name

        server = model_tool_name(source.mcp or "")
        return self.loaded.data_dir / "mcp-resources" / model_tool_name(spec.name) / server

    def ingest(
        self,
        name: str,
        *,
        rebuild: bool = False,
        progress: Callable[[IngestProgress], None] | None = None,
    ) -> IngestReport:
        spec = self.fetch_sources(self.collection(name))
        resolved = self.embedder(spec)
        return ingest_collection(
            spec,
            self.loaded.root,
            self.store(spec),
            resolved.embeddings,
            _info(resolved),
            rebuild=rebuild,
            progress=progress,
        )

    def _ingest_on_first_use(self, spec: CollectionSpec) -> None:
        if self._auto_ingest == "never":
            return
        with self._lock:
            if spec.name in self._checked:
                return
            self._checked.add(spec.name)
        if self.store(spec).pinned_embedder(spec.name) is None:
            _announce(spec.name, "has never been ingested: ingesting it now")
            report = self.ingest(spec.name)
            log.warning(
                "collection '%s': %d files, %d chunks", spec.name, report.files, report.chunks
            )
        elif self._auto_ingest == "missing":
            self._warn_if_stale(spec)
        elif self._auto_ingest == "always":
            report = self.ingest(spec.name)  # incremental: quiet when nothing changed
            if report.changed or report.deleted:
                _announce(spec.name, f"{report.changed + report.deleted} changed files re-ingested")

    def _warn_if_stale(self, spec: CollectionSpec) -> None:
        from springlet.rag.ingest import stale_files

        store = self.store(spec)
        pinned = store.pinned_embedder(spec.name)
        if pinned is None:
            return
        files = self.files_spec(spec)
        stale = stale_files(files, self.loaded.root, store.indexed_files(pinned[0]))
        if stale:
            log.warning(
                "collection '%s': %d file%s changed since it was ingested; run `springlet "
                "ingest %s` (or set `knowledge: {auto_ingest: always}`)",
                spec.name,
                stale,
                "s" if stale != 1 else "",
                spec.name,
            )

    def retriever(self, name: str) -> Retriever:
        """A retriever over `name`. For agents, the collection is first ingested as
        `knowledge.auto_ingest` says (see KnowledgeSettings): by default when it was never
        ingested."""
        spec = self.collection(name)
        resolved = self.embedder(spec)
        self._ingest_on_first_use(spec)
        return Retriever(
            self.store(spec),
            spec.name,
            resolved.embeddings,
            _info(resolved),
            description=spec.description,
        )


def _announce(collection: str, what: str) -> None:
    log.warning(
        "collection '%s' %s (`knowledge: {auto_ingest: never}` in springlet.yaml leaves "
        "ingesting to `springlet ingest`)",
        collection,
        what,
    )


ResourceReader = Callable[[str, str], list[tuple[str, str]]]
"""`(server, uri or glob) -> [(uri, text), ...]`: an MCP server's resources, read."""


def _write_resources(folder: Path, resources: list[tuple[str, str]]) -> None:
    """One Markdown file per resource, named after its URI; stale files removed."""
    import re

    folder.mkdir(parents=True, exist_ok=True)
    wanted = {}
    for uri, text in resources:
        name = re.sub(r"[^A-Za-z0-9._-]+", "_", uri).strip("_")[:150] or "resource"
        wanted[f"{name}.md"] = f"<!-- {uri} -->\n{text}\n"
    for old in folder.glob("*.md"):
        if old.name not in wanted:
            old.unlink()
    for name, text in wanted.items():
        path = folder / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")


def _info(resolved: ResolvedEmbeddings) -> EmbedderInfo:
    return EmbedderInfo(resolved.identity, resolved.dimension, resolved.normalized)


def collection_language_warning(knowledge: WorkspaceKnowledge, name: str) -> str | None:
    """`language_warning` for a workspace collection, judged on a sample of its files."""
    from springlet.models.language_mix import SAMPLE_FILES, is_english_only, language_warning
    from springlet.rag.ingest import discover_files

    spec = knowledge.collection(name)
    identity = knowledge.embedder(spec).identity
    if not is_english_only(identity):
        return None
    files = discover_files(knowledge.files_spec(spec), knowledge.loaded.root)
    step = max(1, len(files) // SAMPLE_FILES)
    return language_warning(name, identity, _sample_texts([f.path for f in files[::step]]))


def _sample_texts(paths: list[Path]) -> Iterator[str]:
    from springlet.models.language_mix import SAMPLE_CHARS, SAMPLE_FILES
    from springlet.rag.loaders import load_file

    for path in paths[:SAMPLE_FILES]:
        try:
            documents = load_file(path, path.name)
        except Exception:  # unreadable files are ingest's to report, not this warning's
            continue
        yield "".join(d.page_content for d in documents)[:SAMPLE_CHARS]
