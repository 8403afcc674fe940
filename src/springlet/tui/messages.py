"""The typed messages a run's worker posts to the chat (attributes down, messages up)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from textual.message import Message

from springlet.tui.backend import Transcript

ToolStatus = Literal["running", "ok", "failed", "rejected"]
ApprovalChoice = Literal["once", "session", "deny"]


@dataclass
class RunBegan(Message):
    """The run started: which model answers, and why that one."""

    agent: str
    model: str
    model_reason: str
    run_id: str | None = None


@dataclass
class AnswerDelta(Message):
    """More answer text of model call `step`, as it streams."""

    step: int
    text: str


@dataclass
class AnswerStep(Message):
    """Model call `step` ended; `text` is its whole answer text (may be empty)."""

    step: int
    text: str


@dataclass
class ToolStarted(Message):
    call_id: str
    name: str
    arguments: dict[str, Any]


@dataclass
class ToolEnded(Message):
    call_id: str
    status: ToolStatus
    result: str
    duration_ms: float | None


@dataclass
class ApprovalNeeded(Message):
    """A tool waits for the user; `answer(choice)` lets the run go on."""

    name: str
    arguments: dict[str, Any]
    answer: Callable[[ApprovalChoice], None]


@dataclass
class SourcesFound(Message):
    sources: tuple[dict[str, Any], ...]


@dataclass
class RunEnded(Message):
    """The run is over: `status` "ok" or how it failed, with the error to show."""

    status: str
    error: str | None = None
    hint: str | None = None


@dataclass
class TranscriptLoaded(Message):
    transcript: Transcript
    title: str
