"""The scale-out knowledge store: PostgreSQL + pgvector, behind the same interface.

    store = PgVectorStore(pg_target("postgresql://kb:${PG_PASSWORD}@db:5432/kb", "manual"))

A collection with `store: pgvector` and a `url:` lives here instead of the workspace's
SQLite file; several workspaces and machines can share one database. It keeps every
promise of the embedded store (`springlet.rag.store_protocol`): the embedder pin, hash-
based incremental ingest, one transaction per file group, scores in [0, 1].

Layout (shared by all collections of the database; put them in a schema of their own
with `?options=-csearch_path%3Dknowledge,public` in the URL):

- `springlet_collections`: name and the pinned embedder (identity, dimension, normalization).
- `springlet_files`: path, content hash, tags. Deleting a file row deletes its chunks.
- `springlet_chunks`: text and provenance, `embedding vector`, `lexemes tsvector`.
- a GIN index on `lexemes`; and for each collection of `HNSW_MIN_CHUNKS` chunks or more,
  a partial HNSW index (cosine) on `embedding::vector(<dimension>)`, so collections of
  different dimensions share the table.

Vector search is exact (like the SQLite store) until a collection is big enough for an
index to pay off: PostgreSQL scans 20k chunks of 384 dimensions in a few milliseconds,
with perfect recall. `optimize`, run after each ingest that changed something, refreshes
the planner's statistics and builds the HNSW index in one go once the collection reaches
`HNSW_MIN_CHUNKS` (bulk building is several times faster than growing the index row by
row); from then on unfiltered queries walk it (approximate: `hnsw.ef_search` 100 unless
the URL's options say otherwise; on real embeddings recall stays near 1.0, on random
384-dimensional vectors, HNSW's worst case, it falls to ~0.2 at 50k chunks).
Filtered queries (sources / tags) always compute exact distances to the chunks that pass
the filter, so a filter never loses results. Dimensions over pgvector's index limit
(2,000) are always searched exactly.

Lexical search: `lexemes` holds exactly the retriever's content words of the chunk
(`query_terms`: lower-cased, stop words dropped, CJK characters one by one, so Chinese and
Japanese text without spaces is searchable), built with `array_to_tsvector` rather than a
language configuration; a query matches chunks containing any of its terms, ranked by
`ts_rank`. Lexical candidates are therefore exactly the chunks the retriever's lexical
score counts.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import Any

import numpy as np
import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from springlet.rag.pg_connect import PgTarget, open_pool, unavailable_error
from springlet.rag.retriever import query_terms
from springlet.rag.store_protocol import (
    ChunkRow,
    CollectionNotIndexedError,
    EmbedderInfo,
    FileChunks,
    check_pin,
)

log = logging.getLogger(__name__)

HNSW_MAX_DIMENSION = 2000
"""pgvector cannot index `vector` columns of more dimensions; those are searched exactly."""

HNSW_MIN_CHUNKS = 20_000
"""Below this many chunks a collection is searched exactly (fast enough, recall 1.0)."""

INDEX_BUILD_MEMORY = "256MB"
"""`maintenance_work_mem` while building an HNSW index (pgvector: the graph should fit)."""

MAX_LEXEME_BYTES = 2046
"""PostgreSQL's limit for one tsvector lexeme (longer "words" are not indexed)."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS springlet_collections (
    id SERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    embedder TEXT NOT NULL,
    dimension INTEGER NOT NULL,
    normalized BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS springlet_files (
    collection_id INTEGER NOT NULL REFERENCES springlet_collections(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    tags TEXT[] NOT NULL,
    PRIMARY KEY (collection_id, path)
);
CREATE TABLE IF NOT EXISTS springlet_chunks (
    id BIGSERIAL PRIMARY KEY,
    collection_id INTEGER NOT NULL,
    path TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    text TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    title TEXT NOT NULL,
    heading TEXT NOT NULL,
    page INTEGER,
    start_offset INTEGER NOT NULL,
    end_offset INTEGER NOT NULL,
    embedding vector NOT NULL,
    lexemes tsvector NOT NULL,
    FOREIGN KEY (collection_id, path)
        REFERENCES springlet_files(collection_id, path) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS springlet_chunks_by_file ON springlet_chunks (collection_id, path);
CREATE INDEX IF NOT EXISTS springlet_chunks_by_hash
    ON springlet_chunks (collection_id, text_hash);
CREATE INDEX IF NOT EXISTS springlet_chunks_lexemes ON springlet_chunks USING gin (lexemes)
    WITH (fastupdate = off);
"""
"""(`fastupdate = off`: new chunks go straight into the GIN index instead of a pending list
that every lexical query would scan until the next VACUUM.)"""

_PIN = "SELECT id, embedder, dimension, normalized FROM springlet_collections WHERE name = %s"
_INSERT_CHUNK = (
    "INSERT INTO springlet_chunks (collection_id, path, ordinal, text, text_hash, title,"
    " heading, page, start_offset, end_offset, embedding, lexemes) VALUES"
    " (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::vector({dimension:d}),"
    " array_to_tsvector(%s::text[]))"
)
"""(The cast checks each vector's dimension: the column itself takes any.)"""


def lexemes(text: str) -> list[str]:
    """The words a chunk is found by: the retriever's query terms of its text."""
    return [t for t in query_terms(text) if len(t.encode()) <= MAX_LEXEME_BYTES]


def tsquery(terms: Sequence[str]) -> str:
    """A tsquery matching any of the terms, each quoted as a literal lexeme."""
    quoted = ("'" + t.replace("\\", "\\\\").replace("'", "''") + "'" for t in terms)
    return " | ".join(quoted)


class PgVectorStore:
    """All pgvector collections of one PostgreSQL database (thread-safe, pooled)."""

    def __init__(self, target: PgTarget) -> None:
        self.target = target
        self._pool: ConnectionPool | None = None
        self._lock = threading.Lock()
        self._pins: dict[int, tuple[str, EmbedderInfo]] = {}

    def __repr__(self) -> str:
        return f"PgVectorStore({self.target.display})"

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None

    @contextmanager
    def _connect(self, collection: str | None) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection (autocommit); the pool opens on first use."""
        with self._lock:
            if self._pool is None:
                self._pool = open_pool(self.target, collection, SCHEMA)
            pool = self._pool
        try:
            with pool.connection() as conn:
                yield conn
        except (psycopg.OperationalError, PoolTimeout) as exc:
            raise unavailable_error(self.target, collection, exc) from None

    def _cid_connect(self, cid: int) -> AbstractContextManager[psycopg.Connection[Any]]:
        pinned = self._pins.get(cid)
        return self._connect(pinned[0] if pinned else None)

    def _query(
        self, cid: int, sql: str, params: Sequence[Any] = (), *, binary: bool = False
    ) -> list[Any]:
        """Rows of one statement (`binary` for vectors: pgvector parses text slowly)."""
        with self._cid_connect(cid) as conn:
            return conn.execute(sql, params, binary=binary).fetchall()

    # -- pinning ---------------------------------------------------------------------

    def pinned_embedder(self, collection: str) -> tuple[int, EmbedderInfo] | None:
        with self._connect(collection) as conn:
            row = conn.execute(_PIN, (collection,)).fetchone()
        if row is None:
            return None
        cid, info = int(row[0]), EmbedderInfo(row[1], int(row[2]), bool(row[3]))
        self._pins[cid] = (collection, info)
        return cid, info

    def open_collection(self, collection: str, embedder: EmbedderInfo) -> int:
        pinned = self.pinned_embedder(collection)
        if pinned is None:
            raise CollectionNotIndexedError(
                f"collection '{collection}' has not been ingested yet "
                f"(PostgreSQL at {self.target.display})",
                hint=f"run `springlet ingest {collection}`",
            )
        check_pin(collection, pinned[1], embedder)
        return pinned[0]

    def pin_collection(self, collection: str, embedder: EmbedderInfo, *, rebuild: bool) -> int:
        with self._connect(collection) as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"springlet:{collection}",))
            row = conn.execute(_PIN, (collection,)).fetchone()
            if row is not None and not rebuild:
                check_pin(collection, EmbedderInfo(row[1], int(row[2]), bool(row[3])), embedder)
                cid = int(row[0])
            else:
                if row is not None:
                    _drop_collection(conn, int(row[0]))
                cid = _create_collection(conn, collection, embedder)
        self._pins[cid] = (collection, embedder)
        return cid

    def drop_collection(self, collection: str) -> None:
        with self._connect(collection) as conn, conn.transaction():
            row = conn.execute(_PIN, (collection,)).fetchone()
            if row is not None:
                _drop_collection(conn, int(row[0]))

    # -- writing ---------------------------------------------------------------------

    def indexed_files(self, cid: int) -> dict[str, str]:
        rows = self._query(
            cid, "SELECT path, content_hash FROM springlet_files WHERE collection_id = %s", (cid,)
        )
        return {str(path): str(digest) for path, digest in rows}

    def known_vectors(self, cid: int, text_hashes: Sequence[str]) -> dict[str, bytes]:
        rows = self._query(
            cid,
            "SELECT DISTINCT ON (text_hash) text_hash, embedding FROM springlet_chunks"
            " WHERE collection_id = %s AND text_hash = ANY(%s::text[])",
            (cid, list(dict.fromkeys(text_hashes))),
            binary=True,
        )
        return {str(h): np.asarray(v, dtype=np.float32).tobytes() for h, v in rows}

    def replace_files(self, cid: int, files: Sequence[FileChunks]) -> None:
        file_rows = [(cid, f.path, f.content_hash, list(f.tags)) for f in files]
        chunk_rows = [row for f in files for row in _chunk_rows(cid, f)]
        insert = _INSERT_CHUNK.format(dimension=self._dimension(cid))
        with self._cid_connect(cid) as conn, conn.transaction():
            _lock_collection(conn, cid)
            conn.execute(
                "DELETE FROM springlet_files WHERE collection_id = %s AND path = ANY(%s::text[])",
                (cid, [f.path for f in files]),
            )
            with conn.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO springlet_files (collection_id, path, content_hash, tags)"
                    " VALUES (%s, %s, %s, %s)",
                    file_rows,
                )
                cursor.executemany(insert, chunk_rows)

    def delete_files(self, cid: int, paths: Sequence[str]) -> None:
        with self._cid_connect(cid) as conn, conn.transaction():
            _lock_collection(conn, cid)
            conn.execute(
                "DELETE FROM springlet_files WHERE collection_id = %s AND path = ANY(%s::text[])",
                (cid, list(paths)),
            )

    def optimize(self, cid: int) -> None:
        """Refresh statistics; build the HNSW index once the collection is big enough.

        A role that may write but does not own the tables cannot build the index: the
        collection is then searched exactly, and a warning says how to add the index.
        """
        dimension = self._dimension(cid)
        index = f"springlet_chunks_hnsw_{cid:d}"
        with self._cid_connect(cid) as conn:
            conn.execute("ANALYZE springlet_collections, springlet_files, springlet_chunks")
            count = conn.execute(
                "SELECT count(*) FROM springlet_chunks WHERE collection_id = %s", (cid,)
            ).fetchone()
            if dimension > HNSW_MAX_DIMENSION or (count or (0,))[0] < HNSW_MIN_CHUNKS:
                return
            if conn.execute("SELECT to_regclass(%s)", (index,)).fetchone() != (None,):
                return
            create = (
                f"CREATE INDEX IF NOT EXISTS {index} ON springlet_chunks USING hnsw"
                f" ((embedding::vector({dimension:d})) vector_cosine_ops)"
                f" WHERE collection_id = {cid:d}"
            )
            try:
                with conn.transaction():
                    _lock_collection(conn, cid)
                    conn.execute(
                        "SELECT set_config('maintenance_work_mem', %s, true)",
                        (INDEX_BUILD_MEMORY,),
                    )
                    conn.execute(create)
            except psycopg.errors.InsufficientPrivilege as exc:
                pinned = self._pins.get(cid)
                log.warning(
                    "collection '%s': user '%s' may not build its HNSW index (%s), so it is "
                    "searched exactly; to index it, run as the table owner: %s",
                    pinned[0] if pinned else cid,
                    self.target.user,
                    exc.diag.message_primary,
                    create,
                )

    # -- reading ---------------------------------------------------------------------

    def chunk_count(self, cid: int) -> int:
        rows = self._query(
            cid, "SELECT count(*) FROM springlet_chunks WHERE collection_id = %s", (cid,)
        )
        return int(rows[0][0])

    def file_tags(self, cid: int) -> dict[str, list[str]]:
        rows = self._query(
            cid, "SELECT path, tags FROM springlet_files WHERE collection_id = %s", (cid,)
        )
        return {str(path): list(tags) for path, tags in rows}

    def chunk_ids_of(self, cid: int, paths: Sequence[str]) -> list[int]:
        rows = self._query(
            cid,
            "SELECT id FROM springlet_chunks WHERE collection_id = %s AND path = ANY(%s::text[])",
            (cid, list(paths)),
        )
        return [int(r[0]) for r in rows]

    def nearest(
        self, cid: int, query: bytes, k: int, within: Sequence[int] | None = None
    ) -> list[tuple[int, float]]:
        vector = np.frombuffer(query, dtype=np.float32)
        if within is not None:
            rows = self._query(
                cid,
                "SELECT id, embedding <=> %s AS d FROM springlet_chunks WHERE collection_id = %s"
                " AND id = ANY(%s::bigint[]) ORDER BY d, id LIMIT %s",
                (vector, cid, list(within), k),
            )
            return [(int(i), _distance(d)) for i, d in rows]
        dimension = self._dimension(cid)
        if dimension > HNSW_MAX_DIMENSION:
            sql = (
                "SELECT id, embedding <=> %s AS d FROM springlet_chunks"
                f" WHERE collection_id = {cid:d} ORDER BY d LIMIT %s"
            )
        else:  # the expression and the literal id match the HNSW index, once there is one
            sql = (
                f"SELECT id, embedding::vector({dimension:d}) <=> %s::vector({dimension:d}) AS d"
                f" FROM springlet_chunks WHERE collection_id = {cid:d} ORDER BY d LIMIT %s"
            )
        with self._cid_connect(cid) as conn:
            if k <= self.target.ef_search:
                rows = conn.execute(sql, (vector, k)).fetchall()
            else:  # an HNSW scan returns at most ef_search rows
                with conn.transaction():
                    conn.execute("SELECT set_config('hnsw.ef_search', %s, true)", (str(k),))
                    rows = conn.execute(sql, (vector, k)).fetchall()
        return [(int(i), _distance(d)) for i, d in rows]

    def distances(self, cid: int, query: bytes, ids: Sequence[int]) -> dict[int, float]:
        rows = self._query(
            cid,
            "SELECT id, embedding <=> %s FROM springlet_chunks"
            " WHERE collection_id = %s AND id = ANY(%s::bigint[])",
            (np.frombuffer(query, dtype=np.float32), cid, list(ids)),
        )
        return {int(i): _distance(d) for i, d in rows}

    def lexical(
        self, cid: int, terms: Sequence[str], k: int, within: Sequence[int] | None = None
    ) -> list[int]:
        wanted = [t for t in terms if t and len(t.encode()) <= MAX_LEXEME_BYTES]
        if not wanted:
            return []
        sql = (
            "SELECT id FROM springlet_chunks, CAST(%s AS tsquery) AS q"
            " WHERE collection_id = %s AND lexemes @@ q"
        )
        params: list[Any] = [tsquery(wanted), cid]
        if within is not None:
            sql += " AND id = ANY(%s::bigint[])"
            params.append(list(within))
        sql += " ORDER BY ts_rank(lexemes, q) DESC, id LIMIT %s"
        rows = self._query(cid, sql, (*params, k))
        return [int(r[0]) for r in rows]

    def chunks(self, ids: Sequence[int]) -> dict[int, ChunkRow]:
        with self._connect(None) as conn:
            rows = conn.execute(
                "SELECT id, path, text, title, heading, page, start_offset, end_offset"
                " FROM springlet_chunks WHERE id = ANY(%s::bigint[])",
                (list(ids),),
            ).fetchall()
        keys = ("id", "path", "text", "title", "heading", "page", "start", "end")
        return {int(r[0]): dict(zip(keys, r, strict=True)) for r in rows}

    def vectors(self, cid: int, ids: Sequence[int]) -> dict[int, np.ndarray[Any, Any]]:
        rows = self._query(
            cid,
            "SELECT id, embedding FROM springlet_chunks"
            " WHERE collection_id = %s AND id = ANY(%s::bigint[])",
            (cid, list(ids)),
            binary=True,
        )
        found: dict[int, np.ndarray[Any, Any]] = {}
        for chunk_id, embedding in rows:
            vector = np.asarray(embedding, dtype=np.float32)
            found[int(chunk_id)] = vector / (np.linalg.norm(vector) or 1.0)
        return found

    def _dimension(self, cid: int) -> int:
        pinned = self._pins.get(cid)
        if pinned is not None:
            return pinned[1].dimension
        rows = self._query(cid, "SELECT dimension FROM springlet_collections WHERE id = %s", (cid,))
        return int(rows[0][0]) if rows else 0


def _distance(value: Any) -> float:
    """A cosine distance; a zero vector (pgvector answers NaN) counts as unrelated."""
    distance = float(value)
    return 1.0 if distance != distance else distance


def _clean(text: str) -> str:
    """PostgreSQL text cannot hold NUL characters (PDF extraction can produce them)."""
    return text.replace("\x00", "\ufffd")


def _chunk_rows(cid: int, item: FileChunks) -> Iterator[tuple[Any, ...]]:
    for ordinal, chunk in enumerate(item.chunks):
        yield (
            cid,
            item.path,
            ordinal,
            _clean(chunk.text),
            item.text_hashes[ordinal],
            _clean(chunk.title),
            _clean(chunk.heading),
            chunk.page,
            chunk.start,
            chunk.end,
            np.ascontiguousarray(item.vectors[ordinal], dtype=np.float32),
            lexemes(_clean(f"{chunk.title}\n{chunk.heading}\n{chunk.text}")),
        )


def _lock_collection(conn: psycopg.Connection[Any], cid: int) -> None:
    """Serialize writers of one collection (like SQLite's BEGIN IMMEDIATE)."""
    conn.execute("SELECT 1 FROM springlet_collections WHERE id = %s FOR UPDATE", (cid,))


def _create_collection(conn: psycopg.Connection[Any], name: str, embedder: EmbedderInfo) -> int:
    row = conn.execute(
        "INSERT INTO springlet_collections (name, embedder, dimension, normalized, created_at)"
        " VALUES (%s, %s, %s, %s, %s) RETURNING id",
        (name, embedder.identity, embedder.dimension, embedder.normalized, datetime.now(UTC)),
    ).fetchone()
    assert row is not None
    return int(row[0])


def _drop_collection(conn: psycopg.Connection[Any], cid: int) -> None:
    conn.execute(f"DROP INDEX IF EXISTS springlet_chunks_hnsw_{cid:d}")
    conn.execute("DELETE FROM springlet_collections WHERE id = %s", (cid,))
