"""Stored sessions with fixed contents, for snapshots and views of long sessions.

`StoredSessions` has the shape of the facade's `ws.sessions` and holds what it is given,
so a snapshot shows the same tool durations and sources on every run.
"""

from __future__ import annotations

import builtins
from dataclasses import replace
from datetime import UTC, datetime

from springlet import NotFoundError, Workspace
from springlet.tui.backend import Backend, SessionInfo, Transcript, TranscriptEntry

FIXED_TIME = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


class StoredSessions:
    """Sessions in memory, newest (last added) first."""

    def __init__(self) -> None:
        self.infos: dict[str, SessionInfo] = {}
        self.entries: dict[str, list[TranscriptEntry]] = {}

    def add(self, session_id: str, agent: str, entries: builtins.list[TranscriptEntry]) -> None:
        first = next(e.text for e in entries if e.role == "user")
        turns = sum(e.role == "user" for e in entries)
        self.infos = {
            session_id: SessionInfo(session_id, agent, first[:60], FIXED_TIME, FIXED_TIME, turns),
            **self.infos,
        }
        self.entries[session_id] = list(entries)

    def list(self, agent: str | None = None) -> builtins.list[SessionInfo]:
        return [i for i in self.infos.values() if agent is None or i.agent == agent]

    def transcript(self, session_id: str) -> Transcript:
        self._check(session_id)
        info = self.infos[session_id]
        return Transcript(session_id, info.agent, tuple(self.entries[session_id]))

    def rename(self, session_id: str, title: str) -> None:
        self._check(session_id)
        self.infos[session_id] = replace(self.infos[session_id], title=title)

    def delete(self, session_id: str) -> None:
        self._check(session_id)
        del self.infos[session_id], self.entries[session_id]

    def search(self, text: str) -> builtins.list[SessionInfo]:
        needle = text.casefold()
        return [
            info
            for sid, info in self.infos.items()
            if needle in info.title.casefold()
            or any(needle in e.text.casefold() for e in self.entries[sid])
        ]

    def _check(self, session_id: str) -> None:
        if session_id not in self.infos:
            raise NotFoundError(f"no session '{session_id}'")


class StoredBackend(Backend):
    """A backend whose sessions are `StoredSessions` (runs still go to the workspace)."""

    def __init__(self, ws: Workspace) -> None:
        super().__init__(ws)
        self.stored = StoredSessions()

    @property
    def sessions(self) -> StoredSessions:  # type: ignore[override]
        return self.stored
