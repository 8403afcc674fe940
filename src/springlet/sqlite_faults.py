"""What went wrong with one of springlet's SQLite files, said so that a user can act.

The three stores (`traces.sqlite`, `memory.sqlite`, `knowledge.sqlite` in the data dir)
fail the same few ways: the file is damaged (not a database, malformed), it or its
folder is read-only, the disk is full, another process holds its lock. `store_error`
turns the driver's exception into a `StoreError` naming the file, the cause and the way
out; `move_aside` sets a damaged derived store aside so that a new one can start.
Depends only on springlet.errors (any layer may use it).
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from springlet.errors import SpringletError

_DAMAGED = ("file is not a database", "malformed", "not a database", "file is encrypted")
_READ_ONLY = ("readonly", "read-only", "attempt to write a readonly")
_FULL = ("database or disk is full", "disk is full", "no space left")
_IO = ("disk i/o error",)
_LOCKED = ("database is locked", "database table is locked")
_CANNOT_OPEN = ("unable to open database file",)


class StoreError(SpringletError):
    """One of springlet's SQLite files cannot be used; `kind` says why."""

    def __init__(self, message: str, *, path: Path, kind: str, hint: str) -> None:
        super().__init__(message, hint=hint)
        self.path = path
        self.kind = kind

    @property
    def damaged(self) -> bool:
        return self.kind == "damaged"


def is_sqlite_error(exc: BaseException) -> bool:
    """True for the errors of the standard sqlite3 module and of pysqlite3."""
    if isinstance(exc, sqlite3.Error):
        return True
    module = type(exc).__module__ or ""
    return module.startswith("pysqlite3") and type(exc).__name__.endswith("Error")


def store_error(exc: BaseException, path: Path, what: str, recover: str) -> StoreError:
    """The StoreError for `exc` raised while using `path`, `what` being the store's name
    ("the trace store") and `recover` the command that starts it afresh."""
    if isinstance(exc, StoreError):
        return exc
    text = str(exc).lower()
    shown = _shown(path)
    if isinstance(exc, PermissionError) or any(k in text for k in _READ_ONLY):
        return StoreError(
            f"cannot write {what} {shown}: it or its folder is read-only ({exc})",
            path=path,
            kind="read-only",
            hint="make the data folder writable, or point `data_dir:` in springlet.yaml "
            "at a writable folder",
        )
    if any(k in text for k in _DAMAGED):
        return StoreError(
            f"{what} {shown} is damaged ({exc})",
            path=path,
            kind="damaged",
            hint=recover,
        )
    if any(k in text for k in _FULL) or getattr(exc, "errno", None) == 28:
        return StoreError(
            f"cannot write {what} {shown}: the disk is full ({exc})",
            path=path,
            kind="full",
            hint="free some disk space, then try again",
        )
    if any(k in text for k in _LOCKED):
        return StoreError(
            f"{what} {shown} is locked by another process ({exc})",
            path=path,
            kind="locked",
            hint="wait for the other springlet process (or SQLite tool) to finish, then retry",
        )
    if any(k in text for k in _IO):
        return StoreError(
            f"cannot write {what} {shown}: disk I/O error (is the disk full or failing?)",
            path=path,
            kind="io",
            hint="check free space and the disk; " + recover,
        )
    if any(k in text for k in _CANNOT_OPEN) or isinstance(exc, OSError):
        return StoreError(
            f"cannot open {what} {shown} ({exc})",
            path=path,
            kind="cannot-open",
            hint="check that the data folder exists and is writable (`data_dir:` in "
            "springlet.yaml)",
        )
    return StoreError(
        f"{what} {shown} failed: {type(exc).__name__}: {exc}", path=path, kind="other", hint=recover
    )


def move_aside(path: Path) -> Path:
    """Rename `path` (and its -wal/-shm files) to `<name>.damaged-<timestamp>`; the new
    name of the database file."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
    for suffix in ("-wal", "-shm"):
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            companion.rename(target.with_name(target.name + suffix))
    if path.exists():
        path.rename(target)
    return target


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)
