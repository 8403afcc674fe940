"""The TUI's one adapter to the Workspace facade of issue 11 (see FACADE.md).

Every name here is the facade's: `ws.sessions` (`list`, `transcript`, `rename`, `delete`,
`search`) and `ws.describe_agent(name)`. Where the workspace already has them, they are
used as they are. Until the facade is on main, stand-ins with the same names and shapes
take their place: sessions are kept in memory for the life of the app, and an agent is
described from its spec alone (no model is loaded, no server is asked).

Delete the stand-ins (and this note) once `springlet.workspace` exports the facade; the
rest of `tui/` already speaks only the facade's names.
"""

from __future__ import annotations

import builtins
import threading
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from springlet import NotFoundError, Workspace
from springlet.agents.events import Event

TITLE_CHARS = 60


@dataclass(frozen=True)
class SessionInfo:
    id: str
    agent: str | None
    title: str
    created_at: datetime | None
    updated_at: datetime | None
    turns: int


@dataclass(frozen=True)
class ToolCallRecord:
    id: str
    name: str
    arguments: dict[str, Any]
    result: str | None
    status: Literal["ok", "failed", "rejected"]
    duration_ms: float | None = None


@dataclass(frozen=True)
class TranscriptEntry:
    role: Literal["user", "assistant", "tool"]
    text: str
    tool_calls: tuple[ToolCallRecord, ...] = ()
    sources: tuple[dict[str, Any], ...] = ()
    run_id: str | None = None


@dataclass(frozen=True)
class Transcript:
    session_id: str
    agent: str | None
    entries: tuple[TranscriptEntry, ...]


@dataclass(frozen=True)
class AgentInfo:
    name: str
    description: str
    model: str
    model_reason: str
    tools: tuple[str, ...]
    has_memory: bool
    kind: Literal["agent", "router"]


class Sessions(Protocol):
    """The part of the facade's `ws.sessions` the TUI uses."""

    def list(self, agent: str | None = None) -> builtins.list[Any]: ...
    def transcript(self, session_id: str) -> Any: ...
    def rename(self, session_id: str, title: str) -> None: ...
    def delete(self, session_id: str) -> None: ...
    def search(self, text: str) -> builtins.list[Any]: ...


@dataclass
class _Session:
    info: SessionInfo
    entries: list[TranscriptEntry] = field(default_factory=list)


class AppSessions:
    """Stand-in for `ws.sessions`: the sessions of this app run, in memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sessions: dict[str, _Session] = {}

    def list(self, agent: str | None = None) -> builtins.list[SessionInfo]:
        with self._lock:
            infos = [s.info for s in self._sessions.values()]
        chosen = [i for i in infos if agent is None or i.agent == agent]
        return sorted(chosen, key=lambda i: i.updated_at or datetime.min, reverse=True)

    def transcript(self, session_id: str) -> Transcript:
        session = self._get(session_id)
        return Transcript(session_id, session.info.agent, tuple(session.entries))

    def rename(self, session_id: str, title: str) -> None:
        with self._lock:
            session = self._get(session_id)
            session.info = replace(session.info, title=title)

    def delete(self, session_id: str) -> None:
        with self._lock:
            self._get(session_id)
            del self._sessions[session_id]

    def search(self, text: str) -> builtins.list[SessionInfo]:
        needle = text.casefold()
        with self._lock:
            found = [
                s.info
                for s in self._sessions.values()
                if needle in s.info.title.casefold()
                or any(needle in e.text.casefold() for e in s.entries)
            ]
        return sorted(found, key=lambda i: i.updated_at or datetime.min, reverse=True)

    def record(self, session_id: str, agent: str, entries: builtins.list[TranscriptEntry]) -> None:
        """Add one turn (the user's message and what answered it)."""
        now = datetime.now(UTC)
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                first = next((e.text for e in entries if e.role == "user"), "") or "(empty)"
                info = SessionInfo(session_id, agent, first[:TITLE_CHARS], now, now, 0)
                session = self._sessions[session_id] = _Session(info)
            session.entries.extend(entries)
            session.info = replace(session.info, updated_at=now, turns=session.info.turns + 1)

    def _get(self, session_id: str) -> _Session:
        session = self._sessions.get(session_id)
        if session is None:
            raise NotFoundError(f"no session '{session_id}'", hint="pick one from the session list")
        return session


class Backend:
    """What the app asks of the workspace: agents, their descriptions, runs and sessions."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        facade_sessions: Sessions | None = getattr(ws, "sessions", None)
        self._stand_in: AppSessions | None = None
        self.sessions: Sessions
        if facade_sessions is None:
            self.sessions = self._stand_in = AppSessions()
        else:
            self.sessions = facade_sessions

    @property
    def root(self) -> str:
        return str(self.ws.root)

    @property
    def agent_names(self) -> list[str]:
        return self.ws.agent_names

    @property
    def problems(self) -> tuple[Any, ...]:
        return self.ws.problems

    def keymap(self) -> dict[str, str]:
        """`tui.keymap` of springlet.yaml: binding id -> keys, for `App.set_keymap`."""
        keymap = self.ws.settings.tui.keymap.model_dump()
        return {binding_id: keys for binding_id, keys in keymap.items() if keys}

    def describe_agent(self, name: str) -> AgentInfo:
        describe = getattr(self.ws, "describe_agent", None)
        if describe is not None:
            return describe(name)  # type: ignore[no-any-return]
        return _describe_from_spec(self.ws, name)

    def astream(self, agent: str, message: str, session_id: str) -> AsyncIterator[Event]:
        """The events of one run (building the agent may raise a SpringletError)."""
        return self.ws.agent(agent).astream(message, session_id=session_id)

    def record_turn(self, session_id: str, agent: str, entries: list[TranscriptEntry]) -> None:
        """Keep a finished turn where the stand-in sessions can list it (the facade reads
        the core's memory instead, so this does nothing once it is there)."""
        if self._stand_in is not None:
            self._stand_in.record(session_id, agent, entries)

    @staticmethod
    def new_session_id() -> str:
        return uuid.uuid4().hex[:12]


def _describe_from_spec(ws: Workspace, name: str) -> AgentInfo:
    spec = ws.loaded.agents.get(name)
    if spec is None:
        raise NotFoundError(f"no agent named '{name}'", hint="agents: " + ", ".join(ws.agent_names))
    if spec.kind == "router":
        routes = tuple(route.agent for route in spec.routes)
        return AgentInfo(
            name,
            spec.description,
            "router",
            "routes to " + ", ".join(routes),
            routes,
            False,
            "router",
        )
    model = str(spec.model or ws.settings.default_model)
    reason = (
        "auto: Ollama when it answers, else embedded (decided at the first message)"
        if model == "auto"
        else ("as configured" if spec.model else "the workspace's default_model")
    )
    tools = tuple(ref.name for ref in spec.tools)
    has_memory = spec.advisor("memory") is not None
    return AgentInfo(name, spec.description, model, reason, tools, has_memory, "agent")
