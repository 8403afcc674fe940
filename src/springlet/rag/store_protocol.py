"""What ingest and retrieval need from a knowledge store, and the types they share.

Two stores implement `KnowledgeBackend`: the embedded `SqliteKnowledgeStore` (one SQLite file,
sqlite-vec + FTS5; `springlet.rag.store`) and `PgVectorStore` (PostgreSQL + pgvector, for
teams that outgrow one file; `springlet.rag.pgvector_store`). Both keep the same promises:

- a collection is pinned to the embedder it was built with (`EmbedderInfo`); ingesting
  or querying it with another one raises `EmbedderMismatchError`;
- each file group is replaced in one transaction, so a killed ingest leaves the index
  as it was after the last committed group;
- chunk ids are unique across the store's collections;
- vectors travel as float32 bytes (the query) or numpy arrays (stored vectors), and
  distances are cosine distances in [0, 2] (the retriever turns them into scores);
- lexical search takes the query's terms (`retriever.query_terms`) and returns the ids
  of chunks containing any of them, best match first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from springlet.errors import SpringletError

if TYPE_CHECKING:
    import numpy as np

    from springlet.rag.splitting import Chunk


class EmbedderMismatchError(SpringletError):
    """An index is used with an embedder other than the one it was built with."""


class CollectionNotIndexedError(SpringletError):
    """A collection was searched before it was ever ingested."""


@dataclass(frozen=True)
class EmbedderInfo:
    """What an index is pinned to."""

    identity: str
    dimension: int
    normalized: bool

    def describe(self) -> str:
        norm = "normalized" if self.normalized else "not normalized"
        return f"{self.identity} ({self.dimension} dimensions, {norm})"


@dataclass(frozen=True)
class FileChunks:
    """A file's new content: its hash, tags, chunks and their embeddings (same order)."""

    path: str
    content_hash: str
    tags: tuple[str, ...]
    chunks: list[Chunk]
    text_hashes: list[str]
    vectors: np.ndarray[Any, np.dtype[np.float32]]


ChunkRow = dict[str, Any]
"""A stored chunk: id, path, text, title, heading, page, start, end."""


class KnowledgeBackend(Protocol):
    """The operations `ingest_collection` and `Retriever` run on a store.

    A collection is addressed by the integer id `pin_collection` / `open_collection`
    return; every method is safe to call from several threads.
    """

    # -- pinning ---------------------------------------------------------------------

    def pinned_embedder(self, collection: str) -> tuple[int, EmbedderInfo] | None:
        """(id, embedder) of an ingested collection; None if it was never ingested."""
        ...

    def open_collection(self, collection: str, embedder: EmbedderInfo) -> int:
        """The collection's id for querying; refuses an embedder it was not built with."""
        ...

    def pin_collection(self, collection: str, embedder: EmbedderInfo, *, rebuild: bool) -> int:
        """Create (or with `rebuild`, recreate) the collection's index for `embedder`."""
        ...

    def drop_collection(self, collection: str) -> None: ...

    # -- writing ---------------------------------------------------------------------

    def indexed_files(self, cid: int) -> dict[str, str]:
        """path -> content hash of every file in the index."""
        ...

    def known_vectors(self, cid: int, text_hashes: Sequence[str]) -> dict[str, bytes]:
        """float32 embeddings already stored for chunks with these text hashes."""
        ...

    def replace_files(self, cid: int, files: Sequence[FileChunks]) -> None:
        """Swap in the new chunks of these files, all in one transaction."""
        ...

    def delete_files(self, cid: int, paths: Sequence[str]) -> None: ...

    def optimize(self, cid: int) -> None:
        """Called once after an ingest that changed the collection: build or refresh what
        should not be maintained row by row during bulk writes (statistics, indexes)."""
        ...

    # -- reading ---------------------------------------------------------------------

    def chunk_count(self, cid: int) -> int: ...

    def file_tags(self, cid: int) -> dict[str, list[str]]:
        """path -> tags of every file in the index."""
        ...

    def chunk_ids_of(self, cid: int, paths: Sequence[str]) -> list[int]: ...

    def nearest(
        self, cid: int, query: bytes, k: int, within: Sequence[int] | None = None
    ) -> list[tuple[int, float]]:
        """(chunk id, cosine distance) of the k nearest chunks, optionally among `within`."""
        ...

    def distances(self, cid: int, query: bytes, ids: Sequence[int]) -> dict[int, float]:
        """Cosine distance from the query to each of these chunks."""
        ...

    def lexical(
        self, cid: int, terms: Sequence[str], k: int, within: Sequence[int] | None = None
    ) -> list[int]:
        """Ids of up to k chunks containing any of the terms, best match first."""
        ...

    def chunks(self, ids: Sequence[int]) -> dict[int, ChunkRow]: ...

    def vectors(self, cid: int, ids: Sequence[int]) -> dict[int, np.ndarray[Any, Any]]:
        """Unit vectors of these chunks."""
        ...

    def close(self) -> None: ...


def check_pin(collection: str, pinned: EmbedderInfo, wanted: EmbedderInfo) -> None:
    """Refuse to use an index with an embedder other than the one it is pinned to."""
    if pinned != wanted:
        raise EmbedderMismatchError(
            f"collection '{collection}' was indexed with {pinned.describe()}, "
            f"but the configured embedder is {wanted.describe()}; vectors of different "
            "embedders cannot be compared",
            hint=f"re-index it with `springlet ingest {collection} --rebuild`, "
            f"or set the collection's `embeddings:` back to {pinned.identity.split('@')[0]}",
        )
