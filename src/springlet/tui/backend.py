"""`Backend`: what the app asks of a workspace, in the Workspace facade's own names.

Sessions, agent descriptions and runs all come from the facade (`ws.sessions`,
`ws.describe_agent`, `ws.agent(name).astream`); this class only narrows the workspace to
what the TUI uses, so a test or a bench can hand the app something smaller.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

from springlet import Workspace
from springlet.agents.events import Event
from springlet.workspace import (
    AgentInfo,
    SessionInfo,
    Sessions,
    ToolCallRecord,
    Transcript,
    TranscriptEntry,
)

__all__ = [
    "AgentInfo",
    "Backend",
    "SessionInfo",
    "ToolCallRecord",
    "Transcript",
    "TranscriptEntry",
]


class Backend:
    """The TUI's view of one workspace."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

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

    def astream(self, agent: str, message: str, session_id: str) -> AsyncIterator[Event]:
        """The events of one run (building the agent may raise a SpringletError)."""
        return self.ws.agent(agent).astream(message, session_id=session_id)

    @staticmethod
    def new_session_id() -> str:
        return uuid.uuid4().hex[:12]
