"""Open a SQLite database with the sqlite-vec extension loaded.

Some Python builds (this one included) compile the standard `sqlite3` module without
extension loading; then `pysqlite3` (the `pysqlite3-binary` wheel, a newer SQLite with
FTS5 and extension loading) is used instead. Both speak the same DB-API.
"""

from __future__ import annotations

import importlib
import sqlite3
from pathlib import Path
from typing import Any, cast

from springlet.errors import SpringletError

BUSY_TIMEOUT_S = 30.0


class VectorStoreUnavailableError(SpringletError):
    """The embedded vector store cannot be opened on this Python."""


def _driver() -> Any:
    probe = sqlite3.connect(":memory:")
    try:
        if hasattr(probe, "enable_load_extension"):
            return sqlite3
    finally:
        probe.close()
    try:
        return importlib.import_module("pysqlite3.dbapi2")
    except ImportError as exc:
        raise VectorStoreUnavailableError(
            "this Python's sqlite3 cannot load extensions, so sqlite-vec cannot run",
            hint="pip install pysqlite3-binary (springlet uses it automatically)",
        ) from exc


def connect(path: Path | str) -> sqlite3.Connection:
    """A connection with sqlite-vec loaded, WAL journaling and a generous busy timeout."""
    import sqlite_vec

    if isinstance(path, Path):
        path.parent.mkdir(parents=True, exist_ok=True)
    conn = _driver().connect(str(path), timeout=BUSY_TIMEOUT_S, check_same_thread=False)
    try:
        conn.enable_load_extension(True)
        sqlite_vec.load(conn)
        conn.enable_load_extension(False)
        conn.execute("PRAGMA journal_mode=WAL")  # the first read: fails on a damaged file
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
    except BaseException:
        conn.close()
        raise
    return cast(sqlite3.Connection, conn)
