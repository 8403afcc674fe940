"""Conversation memory: LangGraph's async SQLite checkpointer, one file per workspace."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from springlet.agents.runtime_loop import run_sync

if TYPE_CHECKING:
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    from springlet.workspace.workspace import Workspace

MEMORY_FILE = "memory.sqlite"


def workspace_memory(ws: Workspace) -> AsyncSqliteSaver:
    """The workspace's checkpointer (opened once, on the runtime loop where runs execute)."""

    def open_saver() -> AsyncSqliteSaver:
        return run_sync(_open(ws.loaded.data_dir / MEMORY_FILE))

    saver: AsyncSqliteSaver = ws.shared("memory", open_saver)
    return saver


async def _open(path: Path) -> AsyncSqliteSaver:
    import aiosqlite
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    path.parent.mkdir(parents=True, exist_ok=True)
    connection = await aiosqlite.connect(str(path))
    await connection.execute("PRAGMA journal_mode=WAL")
    saver = AsyncSqliteSaver(connection)
    await saver.setup()
    return saver
