"""`ws.sessions`: the conversations that agents with the `memory` advisor remember.

A session is a LangGraph thread in `<data_dir>/memory.sqlite` (its id is the `session_id`
of the runs; a run without one is a session of its own, named by its run id). This module
reads that file with LangGraph's synchronous `SqliteSaver` on a connection of its own, so
it never waits on the runtime loop where the agents' async checkpointer lives.

What LangGraph does not store lives in a side table, `<data_dir>/sessions.sqlite`: the
title a user gave a session and the agent it belongs to. A file of its own, not a table
in memory.sqlite, because memory.sqlite's schema is LangGraph's (it creates and migrates
it) and its writer is the agents' checkpointer; our few writes should neither contend
with theirs nor be in the way of a LangGraph migration.

Which agent a session belongs to, first found wins: the side table; the trace store's
top-level runs of the session (they record agent and session id, and routers too);
the name LangGraph's `create_agent` puts on each answer it stores. What the trace store
said is copied to the side table, so it survives the store's retention.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from springlet.errors import NotFoundError
from springlet.workspace.transcript import Transcript, TranscriptEntry, build_transcript

if TYPE_CHECKING:
    from langchain_core.messages import BaseMessage

MEMORY_FILE = "memory.sqlite"
SIDE_FILE = "sessions.sqlite"
TITLE_LIMIT = 60
_SIDE_SCHEMA = """
CREATE TABLE IF NOT EXISTS session_meta (
    session_id TEXT PRIMARY KEY, title TEXT, agent TEXT
)
"""


@dataclass(frozen=True)
class SessionInfo:
    """One remembered conversation, as `ws.sessions.list()` shows it."""

    id: str
    agent: str | None
    title: str
    """The title given with `rename`, else the first user message (cut at 60 chars)."""
    created_at: datetime | None
    updated_at: datetime | None
    turns: int
    """User messages in the conversation."""


@dataclass(frozen=True)
class _Thread:
    """What one thread's checkpoints hold, read once per newest checkpoint."""

    messages: tuple[BaseMessage, ...]
    created_at: datetime | None
    updated_at: datetime | None


class Sessions:
    """The sessions of one workspace (see the module doc). Safe to use from any thread:
    every call opens its own short-lived SQLite connections."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._cache: dict[tuple[str, str], _Thread] = {}

    @property
    def memory_path(self) -> Path:
        return self.data_dir / MEMORY_FILE

    # -- reading ------------------------------------------------------------------------

    def list(self, agent: str | None = None) -> builtins.list[SessionInfo]:
        """Every session, newest first; only `agent`'s when given."""
        with self._saver() as saver:
            if saver is None:
                return []
            heads = _thread_heads(saver.conn)
            infos = [self._info(saver, thread_id, head) for thread_id, head in heads]
        infos.sort(key=lambda s: s.updated_at or datetime.min, reverse=True)
        return [s for s in infos if agent is None or s.agent == agent]

    async def alist(self, agent: str | None = None) -> builtins.list[SessionInfo]:
        return await asyncio.to_thread(self.list, agent)

    def get(self, session_id: str) -> SessionInfo:
        """One session; `NotFoundError` for an unknown id."""
        with self._saver() as saver:
            head = None if saver is None else _thread_head(saver.conn, session_id)
            if saver is None or head is None:
                raise self._not_found(session_id)
            return self._info(saver, session_id, head)

    def transcript(self, session_id: str) -> Transcript:
        """The whole conversation as stored: user and assistant turns, each assistant
        entry with its tool calls and their results, and the sources its run retrieved
        (from the trace store, when the run was traced)."""
        with self._saver() as saver:
            head = None if saver is None else _thread_head(saver.conn, session_id)
            if saver is None or head is None:
                raise self._not_found(session_id)
            thread = self._thread(saver, session_id, head)
            agent = self._agent(session_id, thread)
        entries = build_transcript(thread.messages, self.data_dir, session_id)
        return Transcript(session_id=session_id, agent=agent, entries=entries)

    async def atranscript(self, session_id: str) -> Transcript:
        return await asyncio.to_thread(self.transcript, session_id)

    def search(self, text: str) -> builtins.list[SessionInfo]:
        """Sessions whose title or any message contains `text` (case-insensitive)."""
        needle = text.casefold()
        found = []
        with self._saver() as saver:
            if saver is None:
                return []
            for thread_id, head in _thread_heads(saver.conn):
                info = self._info(saver, thread_id, head)
                thread = self._thread(saver, thread_id, head)
                texts = [info.title, *(_text(m) for m in thread.messages)]
                if any(needle in t.casefold() for t in texts):
                    found.append(info)
        found.sort(key=lambda s: s.updated_at or datetime.min, reverse=True)
        return found

    # -- writing ------------------------------------------------------------------------

    def rename(self, session_id: str, title: str) -> None:
        """Give the session a title (shown instead of its first message)."""
        self.get(session_id)  # unknown ids are refused, not silently stored
        with self._side() as side:
            side.execute(
                "INSERT INTO session_meta (session_id, title) VALUES (?, ?) "
                "ON CONFLICT(session_id) DO UPDATE SET title = excluded.title",
                (session_id, title.strip()),
            )

    def delete(self, session_id: str) -> None:
        """Forget the conversation: its checkpoints and what the side table knows."""
        with self._saver() as saver:
            if saver is None or _thread_head(saver.conn, session_id) is None:
                raise self._not_found(session_id)
            saver.delete_thread(session_id)
        with self._side() as side:
            side.execute("DELETE FROM session_meta WHERE session_id = ?", (session_id,))
        self._cache = {k: v for k, v in self._cache.items() if k[0] != session_id}

    # -- parts --------------------------------------------------------------------------

    def _info(self, saver: Any, thread_id: str, head: str) -> SessionInfo:
        thread = self._thread(saver, thread_id, head)
        users = [m for m in thread.messages if m.type == "human"]
        title = self._meta(thread_id)[0] or (_cut(_text(users[0])) if users else thread_id)
        return SessionInfo(
            id=thread_id,
            agent=self._agent(thread_id, thread),
            title=title,
            created_at=thread.created_at,
            updated_at=thread.updated_at,
            turns=len(users),
        )

    def _thread(self, saver: Any, thread_id: str, head: str) -> _Thread:
        cached = self._cache.get((thread_id, head))
        if cached is not None:
            return cached
        latest = saver.get_tuple({"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}})
        first = _first_checkpoint(saver, thread_id)
        values = latest.checkpoint.get("channel_values", {}) if latest else {}
        thread = _Thread(
            messages=tuple(values.get("messages") or ()),
            created_at=_timestamp(first.checkpoint.get("ts")) if first else None,
            updated_at=_timestamp(latest.checkpoint.get("ts")) if latest else None,
        )
        self._cache[(thread_id, head)] = thread
        return thread

    def _agent(self, session_id: str, thread: _Thread) -> str | None:
        _, agent = self._meta(session_id)
        if agent:
            return agent
        agent = _traced_agent(self.data_dir, session_id)
        if agent:
            with self._side() as side:
                side.execute(
                    "INSERT INTO session_meta (session_id, agent) VALUES (?, ?) "
                    "ON CONFLICT(session_id) DO UPDATE SET agent = excluded.agent",
                    (session_id, agent),
                )
            return agent
        names = [m.name for m in thread.messages if m.type == "ai" and m.name]
        return names[-1] if names else None

    def _meta(self, session_id: str) -> tuple[str | None, str | None]:
        if not (self.data_dir / SIDE_FILE).exists():
            return None, None
        with self._side() as side:
            row = side.execute(
                "SELECT title, agent FROM session_meta WHERE session_id = ?", (session_id,)
            ).fetchone()
        return (row[0] or None, row[1] or None) if row else (None, None)

    @contextlib.contextmanager
    def _saver(self) -> Iterator[Any]:
        """LangGraph's sync saver on a connection of our own; None when nothing was ever
        remembered (the file is not created just to find that out)."""
        if not self.memory_path.exists():
            yield None
            return
        from langgraph.checkpoint.sqlite import SqliteSaver

        conn = sqlite3.connect(self.memory_path, timeout=10.0, check_same_thread=False)
        try:
            yield SqliteSaver(conn)
        finally:
            conn.close()

    @contextlib.contextmanager
    def _side(self) -> Iterator[sqlite3.Connection]:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.data_dir / SIDE_FILE, timeout=10.0, isolation_level=None)
        try:
            conn.execute(_SIDE_SCHEMA)
            yield conn
        finally:
            conn.close()

    def _not_found(self, session_id: str) -> NotFoundError:
        return NotFoundError(
            f"no session '{session_id}' in {self.memory_path}",
            hint="list them with `ws.sessions.list()`; only agents with the `memory` "
            "advisor remember sessions",
        )


def _thread_heads(conn: sqlite3.Connection) -> builtins.list[tuple[str, str]]:
    """(thread id, newest checkpoint id) of every thread."""
    with contextlib.suppress(sqlite3.OperationalError):  # no table: nothing stored yet
        rows = conn.execute(
            "SELECT thread_id, max(checkpoint_id) FROM checkpoints "
            "WHERE checkpoint_ns = '' GROUP BY thread_id"
        ).fetchall()
        return [(str(t), str(c)) for t, c in rows]
    return []


def _thread_head(conn: sqlite3.Connection, thread_id: str) -> str | None:
    with contextlib.suppress(sqlite3.OperationalError):
        row = conn.execute(
            "SELECT max(checkpoint_id) FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = ''",
            (thread_id,),
        ).fetchone()
        return str(row[0]) if row and row[0] else None
    return None


def _first_checkpoint(saver: Any, thread_id: str) -> Any:
    row = saver.conn.execute(
        "SELECT min(checkpoint_id) FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = ''",
        (thread_id,),
    ).fetchone()
    if not row or not row[0]:
        return None
    config = {
        "configurable": {"thread_id": thread_id, "checkpoint_ns": "", "checkpoint_id": row[0]}
    }
    return saver.get_tuple(config)


def _traced_agent(data_dir: Path, session_id: str) -> str | None:
    """The agent of the session's newest top-level traced run (None without traces)."""
    from springlet.workspace.transcript import session_runs

    runs = session_runs(data_dir, session_id)
    return runs[-1].agent if runs else None


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _text(message: BaseMessage) -> str:
    from springlet._runtime.messages import text_of

    return text_of(message.content)


def _cut(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= TITLE_LIMIT else line[: TITLE_LIMIT - 1].rstrip() + "…"


__all__ = ["SessionInfo", "Sessions", "Transcript", "TranscriptEntry"]
