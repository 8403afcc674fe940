"""One turn at a time per conversation: runs that share a session id are serialized.

Why: a turn reads the session's last checkpoint, runs, and writes a new one. Two turns of
one session running at once both start from the same checkpoint and the second write
wins, so the other turn is lost (20 concurrent turns: the next one saw 1 of them).

How, in two layers, both only for agents with memory:
- in a process: an `asyncio.Lock` per (checkpointer, session id). Every run executes on
  the one runtime loop, so this needs no thread lock; turns of a session run in the order
  they asked, turns of different sessions do not wait for each other.
- across processes (POSIX): an advisory `fcntl` byte-range lock on `<memory file>.lock`,
  one byte per session at an offset hashed from its id (two sessions that hash alike
  merely take turns). It is polled without blocking, so the runtime loop never blocks
  and a cancelled run never leaves a lock behind; the OS releases it if the process
  dies. Where `fcntl` is missing (Windows), or the lock file cannot be created (a
  read-only data dir), only the in-process layer applies.
Turns are serialized, never merged: each turn sees every turn finished before it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from springlet._runtime import fork

try:
    import fcntl
except ImportError:  # Windows: in-process serialization only
    fcntl = None  # type: ignore[assignment]

MEMORY_PATH_ATTRIBUTE = "springlet_memory_path"
"""Set by agents/memory.py on the checkpointer: the SQLite file it writes (if any)."""
_POLL_S = (0.002, 0.05)
"""First and longest pause between two tries of a cross-process lock held elsewhere."""

log = logging.getLogger("springlet.sessions")

# (id of the checkpointer, session id) -> [lock, runs holding or waiting for it]
_locks: dict[tuple[int, str], list[Any]] = {}
_lock_files: dict[Path, int] = {}


def _forget() -> None:  # a forked child: the parent's loop and file locks are not its own
    _locks.clear()
    _lock_files.clear()


fork.forget_in_child(_forget)


@asynccontextmanager
async def session_turn(checkpointer: Any, session_id: str) -> AsyncIterator[None]:
    """Hold the turn of `session_id` (nothing to hold when `checkpointer` is None)."""
    if checkpointer is None:
        yield
        return
    key = (id(checkpointer), session_id)
    entry = _locks.setdefault(key, [asyncio.Lock(), 0])
    entry[1] += 1
    try:
        async with (
            entry[0],
            _across_processes(getattr(checkpointer, MEMORY_PATH_ATTRIBUTE, None), session_id),
        ):
            yield
    finally:
        entry[1] -= 1
        if entry[1] == 0:
            _locks.pop(key, None)


@asynccontextmanager
async def _across_processes(memory_file: Path | None, session_id: str) -> AsyncIterator[None]:
    fd = _lock_file(memory_file) if memory_file is not None and fcntl is not None else None
    if fd is None:
        yield
        return
    offset = zlib.crc32(session_id.encode("utf-8", "surrogatepass"))
    pause, longest = _POLL_S
    while True:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, offset)
            break
        except OSError:  # EAGAIN / EACCES: another process has this session's turn
            await asyncio.sleep(pause)
            pause = min(pause * 2, longest)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            fcntl.lockf(fd, fcntl.LOCK_UN, 1, offset)


def _lock_file(memory_file: Path) -> int | None:
    """The open lock file next to `memory_file`, kept open for the process's life
    (closing any descriptor of it would drop every lock this process holds on it)."""
    path = memory_file.with_name(memory_file.name + ".lock")
    fd = _lock_files.get(path)
    if fd is None:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            log.debug("no cross-process session lock at %s: %s", path, exc)
            return None
        _lock_files[path] = fd
    return fd
