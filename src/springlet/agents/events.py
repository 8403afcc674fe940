"""The one event vocabulary of a run, shared by the CLI, the TUI and library streams.

Every event carries the `run_id` of its run; events of a model call carry its `step`
(1 for the first model call), tool events the `call_id` the model gave the call.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from springlet.agents.result import RunResult


@dataclass(frozen=True)
class Event:
    run_id: str

    @property
    def kind(self) -> str:
        name = type(self).__name__
        return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


@dataclass(frozen=True)
class RunStarted(Event):
    agent: str
    session_id: str
    model: str
    model_reason: str


@dataclass(frozen=True)
class ModelToken(Event):
    step: int
    text: str


@dataclass(frozen=True)
class ModelThinking(Event):
    """Thinking text of a model that thinks (`think:`), streamed apart from the answer:
    it never reaches the answer, memory or structured output."""

    step: int
    text: str


@dataclass(frozen=True)
class ContextCompacted(Event):
    """A request over the model's context budget was compacted before the model call."""

    step: int
    tokens_before: int
    tokens_after: int
    budget: int
    tiers: tuple[str, ...]
    """What was done, in order: tool results stubbed, oldest turns dropped, ... summarized."""


@dataclass(frozen=True)
class ModelMessage(Event):
    step: int
    text: str
    tool_calls: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class ToolCallStarted(Event):
    step: int
    call_id: str
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class ToolCallFinished(Event):
    step: int
    call_id: str
    name: str
    result: str


@dataclass(frozen=True)
class ToolCallFailed(Event):
    step: int
    call_id: str
    name: str
    error: str


@dataclass(frozen=True)
class ApprovalRequested(Event):
    """A listed tool wants to run: call `approve()` or `reject(reason)` to answer."""

    step: int
    call_id: str
    name: str
    arguments: dict[str, Any]
    _answer: asyncio.Future[tuple[bool, str]] | None = field(default=None, repr=False)
    _loop: asyncio.AbstractEventLoop | None = field(default=None, repr=False)

    def approve(self) -> None:
        self._set(True, "")

    def reject(self, reason: str = "rejected by the user") -> None:
        self._set(False, reason)

    def _set(self, approved: bool, reason: str) -> None:
        future, loop = self._answer, self._loop
        if future is None or loop is None:
            return

        def settle() -> None:
            if not future.done():
                future.set_result((approved, reason))

        loop.call_soon_threadsafe(settle)


@dataclass(frozen=True)
class ApprovalAnswered(Event):
    step: int
    call_id: str
    name: str
    approved: bool
    reason: str


@dataclass(frozen=True)
class RetrievalDone(Event):
    step: int
    collection: str
    query: str
    sources: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class RouteChosen(Event):
    route: str
    score: float
    by: str
    """'embedding' when the examples matched clearly, 'model' when the model chose."""


@dataclass(frozen=True)
class RunFinished(Event):
    result: RunResult


@dataclass(frozen=True)
class RunFailed(Event):
    error: str
    result: RunResult | None = None
