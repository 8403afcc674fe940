"""Conversation memory: LangGraph's async SQLite checkpointer, one file per workspace.

The aiosqlite connection lives on springlet's runtime loop: it is opened there, every
checkpoint read and write runs there (runs execute there), and it is closed there, by
`Workspace.close()`, else when its saver is garbage-collected, else at interpreter exit.

Why each way out matters: aiosqlite answers a call on the event loop of whoever made it.
A connection nobody closed is stopped by aiosqlite's `__del__` on whatever loop the
collecting thread has at that moment, often a caller's loop that is about to close (an
`asyncio.run`, a pytest-asyncio test); its worker thread then dies on "Event loop is
closed" while answering.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import warnings
import weakref
from pathlib import Path
from typing import TYPE_CHECKING

from springlet._runtime import fork, runtime_loop
from springlet.agents.session_lock import MEMORY_PATH_ATTRIBUTE
from springlet.sqlite_faults import is_sqlite_error, store_error

if TYPE_CHECKING:
    import aiosqlite
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver


MEMORY_FILE = "memory.sqlite"
log = logging.getLogger("springlet.memory")
_EXIT_CLOSE_TIMEOUT_S = 5.0

# Connections opened and not yet closed. Whoever removes one from the set closes it, so
# it is closed exactly once (`set.remove` is atomic: no lock, safe inside a finalizer).
_open_connections: set[aiosqlite.Connection] = set()
# a forked child must not close its parent's connections (their thread is not its own)
fork.forget_in_child(_open_connections.clear)


class WorkspaceMemory:
    """A workspace's checkpointer; `close()` (called by `Workspace.close`) closes its
    connection on the runtime loop."""

    def __init__(self, saver: AsyncSqliteSaver) -> None:
        self.saver = saver
        _open_connections.add(saver.conn)
        # a workspace dropped without close(): close once no agent can use the saver
        self._finalizer = weakref.finalize(saver, _close_soon, saver.conn)
        self._finalizer.atexit = False  # _close_all_at_exit waits for it instead

    def close(self) -> None:
        """Close the connection (waits for it, except when called on the runtime loop)."""
        self._finalizer.detach()
        connection = self.saver.conn
        if not _claim(connection):
            return
        if runtime_loop.on_runtime_loop():  # cannot wait on the loop the close runs on
            runtime_loop.schedule(connection.close())
        else:
            runtime_loop.run_sync(connection.close())


def open_memory(data_dir: Path) -> WorkspaceMemory:
    """The memory of the workspace whose data dir is `data_dir`, opened on the runtime loop
    where runs execute (call it from a thread that may wait for that loop).

    A memory file that cannot be used (damaged, read-only, disk full) does not stop the
    agent: this process keeps its conversations in memory only, and says so once (a
    MemoryUnavailableWarning naming the file and what to do). The file is left as it is:
    unlike traces and indexes, conversations are not derived from anything.
    """
    path = data_dir / MEMORY_FILE
    try:
        opened = WorkspaceMemory(runtime_loop.run_sync(_open(path)))
        # the file its sessions' turns lock across processes (agents/session_lock.py)
        setattr(opened.saver, MEMORY_PATH_ATTRIBUTE, path)
        return opened
    except Exception as exc:
        if not (is_sqlite_error(exc) or isinstance(exc, OSError)):
            raise
        error = store_error(exc, path, "the conversation memory", _RECOVER_HINT)
        log.debug("cannot open %s", path, exc_info=exc)
        warnings.warn(
            f"{error}\n  Agents run without it: this process keeps conversations in memory "
            "only (lost when it ends).",
            MemoryUnavailableWarning,
            stacklevel=2,
        )
        return WorkspaceMemory(runtime_loop.run_sync(_open(None)))


class MemoryUnavailableWarning(RuntimeWarning):
    """The memory file cannot be used; conversations are kept in this process only."""


_RECOVER_HINT = (
    "if the file is damaged, move it aside (it holds past conversations: keep a copy) "
    "and a new one starts on the next run"
)


async def _open(path: Path | None) -> AsyncSqliteSaver:
    """The checkpointer on `path` (None: in memory)."""
    import aiosqlite
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    connection = await aiosqlite.connect(str(path) if path is not None else ":memory:")
    try:
        if path is not None:
            await connection.execute("PRAGMA journal_mode=WAL")
        saver = AsyncSqliteSaver(connection)
        await saver.setup()
    except BaseException:
        await connection.close()
        raise
    return saver


def _claim(connection: aiosqlite.Connection) -> bool:
    """True for the one caller that gets to close `connection`."""
    try:
        _open_connections.remove(connection)
    except KeyError:
        return False
    return True


def _close_soon(connection: aiosqlite.Connection) -> None:
    """Finalizer of a saver nobody closed: may run in any thread, mid garbage collection,
    so it only schedules the close on the runtime loop and never waits or locks."""
    if _claim(connection):
        runtime_loop.schedule(connection.close())


@atexit.register
def _close_all_at_exit() -> None:
    """Close what is still open while the runtime loop (a daemon thread) still runs."""
    while _open_connections:
        try:
            connection = _open_connections.pop()
        except KeyError:
            return
        closing = runtime_loop.schedule(connection.close())
        if closing is not None:
            with contextlib.suppress(Exception):
                closing.result(timeout=_EXIT_CLOSE_TIMEOUT_S)
