"""`Backend`: what the app asks of a workspace, in the Workspace facade's own names.

Sessions, agent descriptions and runs all come from the facade (`ws.sessions`,
`ws.describe_agent`, `ws.agent(name).astream`); this class only narrows the workspace to
what the TUI uses, so a test or a bench can hand the app something smaller.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path
from typing import Any

from springlet import Workspace
from springlet.agents.events import Event
from springlet.workspace import (
    AgentInfo,
    CollectionInfo,
    Knowledge,
    ModelInfo,
    Models,
    ReloadReport,
    RunRow,
    RunTree,
    SessionInfo,
    Sessions,
    ToolCallRecord,
    Transcript,
    TranscriptEntry,
    WatchHandle,
    WorkspaceChanged,
    WorkspaceFile,
    list_run_rows,
    list_workspace_files,
    read_run_rows,
    read_workspace_file,
    save_workspace_file,
)

__all__ = [
    "AgentInfo",
    "Backend",
    "CollectionInfo",
    "ModelInfo",
    "ReloadReport",
    "RunRow",
    "RunTree",
    "SessionInfo",
    "ToolCallRecord",
    "Transcript",
    "TranscriptEntry",
    "WatchHandle",
    "WorkspaceChanged",
    "WorkspaceFile",
]


class Backend:
    """The TUI's view of one workspace."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self._on_model: dict[str, Workspace] = {}

    @property
    def sessions(self) -> Sessions:
        return self.ws.sessions

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
        """Which model answers `name` and why (no model is loaded)."""
        return self.ws.describe_agent(name)

    def astream(
        self, agent: str, message: str, session_id: str, model: str | None = None
    ) -> AsyncIterator[Event]:
        """The events of one run (building the agent may raise a SpringletError); with
        `model`, the agent runs on that model instead of its own (this session's choice)."""
        ws = self.ws if model is None else self._workspace_on(model)
        return ws.agent(agent).astream(message, session_id=session_id)

    def _workspace_on(self, model: str) -> Workspace:
        if model not in self._on_model:
            self._on_model[model] = self.ws.on_model(model)
        return self._on_model[model]

    @staticmethod
    def new_session_id() -> str:
        return uuid.uuid4().hex[:12]

    # -- traces ---------------------------------------------------------------------------

    def run_table(
        self, *, agent: str | None, status: str | None, text: str | None, since: Any, limit: int
    ) -> list[RunRow]:
        """Top-level runs, newest first, with their stats."""
        return list_run_rows(
            self.ws, agent=agent, status=status, text=text or None, since=since, limit=limit
        )

    def run_rows(self, run_ids: Iterable[str]) -> list[RunRow]:
        return read_run_rows(self.ws, run_ids)

    def run_tree(self, run_id: str) -> RunTree:
        return self.ws.traces.get(run_id)

    def follow(self, run_id: str | None = None) -> AsyncIterator[Any]:
        """Spans as they are stored (of one run, or of every run)."""
        return self.ws.traces.afollow(run_id)

    # -- the workspace's files ------------------------------------------------------------

    def files(self) -> list[WorkspaceFile]:
        return list_workspace_files(self.ws)

    def read_file(self, path: Path) -> str:
        return read_workspace_file(self.ws, path)

    def save_file(self, path: Path, text: str) -> ReloadReport:
        """Write the buffer, then reload the workspace from its files."""
        save_workspace_file(self.ws, path, text)
        return self.ws.reload()

    def validate_text(self, path: Path, text: str) -> tuple[Any, ...]:
        return self.ws.validate_text(path, text)

    def watch(self, on_event: Callable[[WorkspaceChanged], None]) -> WatchHandle:
        return self.ws.watch(on_event)

    def prompt_inputs(self, name: str) -> dict[str, Any]:
        """Input name -> its typed spec (type, description, default, enum, ...)."""
        return dict(self.ws.prompt_spec(name).input)

    def render_prompt(self, name: str, inputs: dict[str, Any]) -> list[tuple[str, str]]:
        """(role, text) of each message the prompt sends for `inputs`."""
        return [(m.type, str(m.content)) for m in self.ws.prompt(name).render(**inputs)]

    def run_prompt(self, name: str, inputs: dict[str, Any]) -> Any:
        return self.ws.prompt(name).run(**inputs)

    # -- knowledge and models -------------------------------------------------------------

    @property
    def knowledge(self) -> Knowledge:
        return self.ws.knowledge

    @property
    def models(self) -> Models:
        return self.ws.models
