"""The embedded knowledge store: one SQLite file per workspace, sqlite-vec + FTS5.

Layout (one database, any number of collections):

- `collections`: name, and the embedder the index is pinned to (identity, dimension,
  normalization). Every ingest and every query checks it.
- `files`: one row per indexed file with the hash that decides whether to re-embed it.
- `chunks`: text and where it came from (path, title, heading, page, offsets).
- `vec_<id>`: a sqlite-vec `vec0` table of the chunk embeddings (cosine distance).
- `fts_<id>`: an FTS5 table of the chunk text for lexical search (CJK characters are
  indexed one by one, since CJK text has no spaces to find words by).

Unfiltered nearest-neighbour search runs on an in-memory copy of a collection's vectors
(numpy, exact, several times faster than sqlite-vec's scan at 100k chunks); the copy
is reloaded whenever the collection's `version` (bumped by every write, from any
process) changes. Filtered searches use sqlite-vec's `vec_distance_cosine` directly.

Every change runs in one `BEGIN IMMEDIATE` transaction, so an ingest killed at any
moment leaves the index as it was after the last committed file group.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from springlet.models.language_mix import CJK_CHARACTER
from springlet.rag.splitting import Chunk
from springlet.rag.sqlite_connect import connect
from springlet.rag.store_protocol import (
    CollectionNotIndexedError,
    EmbedderInfo,
    EmbedderMismatchError,
    FileChunks,
    check_pin,
)
from springlet.sqlite_faults import is_sqlite_error, store_error

__all__ = [
    "CollectionNotIndexedError",
    "EmbedderInfo",
    "EmbedderMismatchError",
    "FileChunks",
    "SqliteKnowledgeStore",
    "fts_match",
    "lexical_body",
]

RECOVER_HINT = (
    "run `springlet ingest --rebuild` to move it aside and index the collections again "
    "(the index is derived from the knowledge files; nothing else is lost)"
)

_CJK = re.compile(f"({CJK_CHARACTER})")

_JSON_IDS = "(SELECT value FROM json_each(?))"
"""SQL for "one of the ids in this JSON array parameter" (no limit on how many)."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS collections (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    embedder TEXT NOT NULL,
    dimension INTEGER NOT NULL,
    normalized INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS files (
    collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    tags TEXT NOT NULL,
    PRIMARY KEY (collection_id, path)
);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY,
    collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    text TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    title TEXT NOT NULL,
    heading TEXT NOT NULL,
    page INTEGER,
    start_offset INTEGER NOT NULL,
    end_offset INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_by_file ON chunks (collection_id, path);
CREATE INDEX IF NOT EXISTS chunks_by_hash ON chunks (collection_id, text_hash);
"""


def lexical_body(text: str) -> str:
    """Text as FTS5 indexes it: CJK characters become separate tokens."""
    return _CJK.sub(r" \1 ", text)


def fts_match(terms: Sequence[str]) -> str:
    """An FTS5 query matching any of the terms (each quoted, so no syntax leaks in)."""
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)


class SqliteKnowledgeStore:
    """All collections of one workspace in one SQLite file (thread-safe)."""

    def __init__(self, path: Path | str) -> None:
        self.path = path
        try:
            self._conn = connect(path)
            self._conn.isolation_level = None  # we open transactions ourselves
            self._conn.executescript(_SCHEMA)
        except Exception as exc:
            if not (is_sqlite_error(exc) or isinstance(exc, OSError)):
                raise
            raise store_error(exc, Path(path), "the knowledge store", RECOVER_HINT) from exc
        self._lock = threading.RLock()
        self._matrices: dict[int, _VectorMatrix] = {}

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    # -- pinning ---------------------------------------------------------------------

    def pinned_embedder(self, collection: str) -> tuple[int, EmbedderInfo] | None:
        rows = self._query(
            "SELECT id, embedder, dimension, normalized FROM collections WHERE name = ?",
            (collection,),
        )
        if not rows:
            return None
        cid, identity, dimension, normalized = rows[0]
        return int(cid), EmbedderInfo(identity, int(dimension), bool(normalized))

    def open_collection(self, collection: str, embedder: EmbedderInfo) -> int:
        """The collection's id for querying; refuses an embedder it was not built with."""
        pinned = self.pinned_embedder(collection)
        if pinned is None:
            raise CollectionNotIndexedError(
                f"collection '{collection}' has not been ingested yet",
                hint=f"run `springlet ingest {collection}`",
            )
        check_pin(collection, pinned[1], embedder)
        return pinned[0]

    def pin_collection(self, collection: str, embedder: EmbedderInfo, *, rebuild: bool) -> int:
        """Create (or with `rebuild`, recreate) the collection's index for `embedder`."""
        with self.transaction() as conn:
            row = conn.execute(
                "SELECT id, embedder, dimension, normalized FROM collections WHERE name = ?",
                (collection,),
            ).fetchone()
            if row is not None and not rebuild:
                check_pin(collection, EmbedderInfo(row[1], int(row[2]), bool(row[3])), embedder)
                return int(row[0])
            if row is not None:
                _drop_collection(conn, int(row[0]))
            cursor = conn.execute(
                "INSERT INTO collections (name, embedder, dimension, normalized, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (
                    collection,
                    embedder.identity,
                    embedder.dimension,
                    int(embedder.normalized),
                    datetime.now(UTC).isoformat(timespec="seconds"),
                ),
            )
            cid = int(cursor.lastrowid or 0)
            conn.execute(
                f"CREATE VIRTUAL TABLE vec_{cid} USING vec0("
                f"embedding float[{embedder.dimension}] distance_metric=cosine)"
            )
            conn.execute(
                f"CREATE VIRTUAL TABLE fts_{cid} USING fts5("
                "body, tokenize='unicode61 remove_diacritics 2')"
            )
            return cid

    def drop_collection(self, collection: str) -> None:
        with self.transaction() as conn:
            row = conn.execute(
                "SELECT id FROM collections WHERE name = ?", (collection,)
            ).fetchone()
            if row is not None:
                _drop_collection(conn, int(row[0]))

    # -- writing ---------------------------------------------------------------------

    def indexed_files(self, cid: int) -> dict[str, str]:
        """path -> content hash of every file in the index."""
        rows = self._query("SELECT path, content_hash FROM files WHERE collection_id = ?", (cid,))
        return {str(path): str(digest) for path, digest in rows}

    def known_vectors(self, cid: int, text_hashes: Sequence[str]) -> dict[str, bytes]:
        """Embeddings already stored for chunks with these texts (reused, not recomputed)."""
        found: dict[str, bytes] = {}
        wanted = list(dict.fromkeys(text_hashes))
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            marks = ",".join("?" * len(part))
            rows = self._query(
                f"SELECT c.text_hash, v.embedding FROM chunks c JOIN vec_{cid} v"
                f" ON v.rowid = c.id WHERE c.collection_id = ? AND c.text_hash IN ({marks})",
                (cid, *part),
            )
            found.update({str(h): bytes(blob) for h, blob in rows})
        return found

    def replace_files(self, cid: int, files: Sequence[FileChunks]) -> None:
        """Swap in the new chunks of these files, all in one transaction."""
        with self.transaction() as conn:
            for item in files:
                _delete_file(conn, cid, item.path)
                for ordinal, chunk in enumerate(item.chunks):
                    chunk_id = _insert_chunk(conn, cid, ordinal, chunk, item.text_hashes[ordinal])
                    vector = np.ascontiguousarray(item.vectors[ordinal], dtype=np.float32)
                    conn.execute(
                        f"INSERT INTO vec_{cid} (rowid, embedding) VALUES (?, ?)",
                        (chunk_id, vector.tobytes()),
                    )
                    body = lexical_body(f"{chunk.title}\n{chunk.heading}\n{chunk.text}")
                    conn.execute(
                        f"INSERT INTO fts_{cid} (rowid, body) VALUES (?, ?)", (chunk_id, body)
                    )
                conn.execute(
                    "INSERT INTO files (collection_id, path, content_hash, tags)"
                    " VALUES (?, ?, ?, ?)",
                    (cid, item.path, item.content_hash, json.dumps(list(item.tags))),
                )
            _bump_version(conn, cid)

    def delete_files(self, cid: int, paths: Sequence[str]) -> None:
        with self.transaction() as conn:
            for path in paths:
                _delete_file(conn, cid, path)
            _bump_version(conn, cid)

    def optimize(self, cid: int) -> None:
        """Nothing to do: sqlite-vec and FTS5 are up to date after every write."""

    # -- reading ---------------------------------------------------------------------

    def chunk_count(self, cid: int) -> int:
        return int(self._query("SELECT count(*) FROM chunks WHERE collection_id = ?", (cid,))[0][0])

    def file_tags(self, cid: int) -> dict[str, list[str]]:
        rows = self._query("SELECT path, tags FROM files WHERE collection_id = ?", (cid,))
        return {str(path): list(json.loads(tags)) for path, tags in rows}

    def chunk_ids_of(self, cid: int, paths: Sequence[str]) -> list[int]:
        ids: list[int] = []
        for start in range(0, len(paths), 500):
            part = list(paths[start : start + 500])
            marks = ",".join("?" * len(part))
            rows = self._query(
                f"SELECT id FROM chunks WHERE collection_id = ? AND path IN ({marks})",
                (cid, *part),
            )
            ids.extend(int(r[0]) for r in rows)
        return ids

    def nearest(
        self, cid: int, query: bytes, k: int, within: Sequence[int] | None = None
    ) -> list[tuple[int, float]]:
        """(chunk id, cosine distance) of the k nearest chunks, optionally among `within`."""
        if within is None:
            return self._matrix(cid).nearest(query, k)
        rows = self._query(
            f"SELECT rowid, vec_distance_cosine(embedding, ?) AS d FROM vec_{cid}"
            f" WHERE rowid IN {_JSON_IDS} ORDER BY d LIMIT ?",
            (query, json.dumps(list(within)), k),
        )
        return [(int(i), float(d)) for i, d in rows]

    def distances(self, cid: int, query: bytes, ids: Sequence[int]) -> dict[int, float]:
        """Cosine distance from the query to each of these chunks."""
        return self._matrix(cid).distances(query, ids)

    def _matrix(self, cid: int) -> _VectorMatrix:
        with self._lock:
            row = self._conn.execute(
                "SELECT version FROM collections WHERE id = ?", (cid,)
            ).fetchone()
            version = int(row[0]) if row else -1
            cached = self._matrices.get(cid)
            if cached is None or cached.version != version:
                rows = self._conn.execute(
                    f"SELECT rowid, embedding FROM vec_{cid} ORDER BY rowid"
                ).fetchall()
                cached = self._matrices[cid] = _VectorMatrix(version, rows)
            return cached

    def lexical(
        self, cid: int, terms: Sequence[str], k: int, within: Sequence[int] | None = None
    ) -> list[int]:
        """Ids of chunks containing any of the terms (FTS5), best BM25 first."""
        if not terms:
            return []
        sql = f"SELECT rowid FROM fts_{cid} WHERE fts_{cid} MATCH ?"
        params: list[Any] = [fts_match(terms)]
        if within is not None:
            sql += " AND rowid IN (SELECT value FROM json_each(?))"
            params.append(json.dumps(list(within)))
        rows = self._query(sql + " ORDER BY bm25(fts_" + str(cid) + ") LIMIT ?", (*params, k))
        return [int(r[0]) for r in rows]

    def chunks(self, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        rows = self._query(
            "SELECT id, path, text, title, heading, page, start_offset, end_offset FROM chunks"
            " WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(ids)),),
        )
        keys = ("id", "path", "text", "title", "heading", "page", "start", "end")
        return {int(r[0]): dict(zip(keys, r, strict=True)) for r in rows}

    def vectors(self, cid: int, ids: Sequence[int]) -> dict[int, np.ndarray[Any, Any]]:
        """Unit vectors of these chunks (from the in-memory copy; vec0 would scan)."""
        return self._matrix(cid).vectors(ids)


class _VectorMatrix:
    """A collection's unit vectors as one numpy matrix, rows ordered by chunk id."""

    def __init__(self, version: int, rows: list[Any]) -> None:
        self.version = version
        self.ids = np.array([int(r[0]) for r in rows], dtype=np.int64)
        dim = len(rows[0][1]) // 4 if rows else 0
        matrix = np.frombuffer(b"".join(bytes(r[1]) for r in rows), dtype=np.float32)
        matrix = matrix.reshape(len(rows), dim)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        self.matrix = matrix / np.where(norms == 0, 1.0, norms)

    def _similarities(self, query: bytes, rows: Any = None) -> np.ndarray[Any, Any]:
        vector = np.frombuffer(query, dtype=np.float32)
        vector = vector / (np.linalg.norm(vector) or 1.0)
        block = self.matrix if rows is None else self.matrix[rows]
        similarities: np.ndarray[Any, Any] = block @ vector
        return similarities

    def nearest(self, query: bytes, k: int) -> list[tuple[int, float]]:
        if not len(self.ids):
            return []
        sims = self._similarities(query)
        k = min(k, len(sims))
        top = np.argpartition(-sims, k - 1)[:k]
        top = top[np.argsort(-sims[top], kind="stable")]
        return [(int(self.ids[i]), float(1.0 - sims[i])) for i in top]

    def _rows(self, ids: Sequence[int]) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """(ids present, their row numbers) for the wanted chunk ids."""
        wanted = np.asarray(list(ids), dtype=np.int64)
        if not len(wanted) or not len(self.ids):
            return wanted[:0], wanted[:0]
        rows = np.clip(np.searchsorted(self.ids, wanted), 0, len(self.ids) - 1)
        found = self.ids[rows] == wanted
        return wanted[found], rows[found]

    def distances(self, query: bytes, ids: Sequence[int]) -> dict[int, float]:
        present, rows = self._rows(ids)
        if not len(rows):
            return {}
        sims = self._similarities(query, rows)
        return {int(i): float(1.0 - s) for i, s in zip(present, sims, strict=True)}

    def vectors(self, ids: Sequence[int]) -> dict[int, np.ndarray[Any, Any]]:
        present, rows = self._rows(ids)
        return {int(i): self.matrix[r] for i, r in zip(present, rows, strict=True)}


def _bump_version(conn: sqlite3.Connection, cid: int) -> None:
    conn.execute("UPDATE collections SET version = version + 1 WHERE id = ?", (cid,))


def _insert_chunk(conn: sqlite3.Connection, cid: int, ordinal: int, chunk: Chunk, h: str) -> int:
    cursor = conn.execute(
        "INSERT INTO chunks (collection_id, path, ordinal, text, text_hash, title, heading,"
        " page, start_offset, end_offset) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            cid,
            chunk.source,
            ordinal,
            chunk.text,
            h,
            chunk.title,
            chunk.heading,
            chunk.page,
            chunk.start,
            chunk.end,
        ),
    )
    return int(cursor.lastrowid or 0)


def _delete_file(conn: sqlite3.Connection, cid: int, path: str) -> None:
    ids = [
        int(r[0])
        for r in conn.execute(
            "SELECT id FROM chunks WHERE collection_id = ? AND path = ?", (cid, path)
        ).fetchall()
    ]
    if ids:
        doomed = json.dumps(ids)
        conn.execute(f"DELETE FROM vec_{cid} WHERE rowid IN {_JSON_IDS}", (doomed,))
        conn.execute(f"DELETE FROM fts_{cid} WHERE rowid IN {_JSON_IDS}", (doomed,))
        conn.execute("DELETE FROM chunks WHERE collection_id = ? AND path = ?", (cid, path))
    conn.execute("DELETE FROM files WHERE collection_id = ? AND path = ?", (cid, path))


def _drop_collection(conn: sqlite3.Connection, cid: int) -> None:
    conn.execute(f"DROP TABLE IF EXISTS vec_{cid}")
    conn.execute(f"DROP TABLE IF EXISTS fts_{cid}")
    conn.execute("DELETE FROM chunks WHERE collection_id = ?", (cid,))
    conn.execute("DELETE FROM files WHERE collection_id = ?", (cid,))
    conn.execute("DELETE FROM collections WHERE id = ?", (cid,))
