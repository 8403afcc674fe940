"""What the middleware of a run needs to know about that run, found through a ContextVar.

LangGraph runs nodes in tasks that inherit the context of the run, so middleware built
once per agent can still emit events to the right run and ask the right approver.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from springlet.agents.events import ApprovalRequested, Event
    from springlet.agents.result import ToolCallRecord

Approver = Callable[["ApprovalRequested"], "bool | Awaitable[bool]"]


@dataclass
class RunContext:
    run_id: str
    agent: str
    session_id: str
    emit: Callable[[Event], None]
    approver: Approver | None = None
    interactive_approval: bool = False
    """True when the caller reads the event stream and answers ApprovalRequested itself."""
    step: int = 0
    tool_calls: list[ToolCallRecord] = field(default_factory=list)
    call_counts: dict[str, int] = field(default_factory=dict)
    sources: list[dict[str, Any]] = field(default_factory=list)
    loop: asyncio.AbstractEventLoop | None = None
    memo: dict[str, Any] = field(default_factory=dict)
    failure: BaseException | None = None
    """The exception that ended the run, kept for its traceback (the span records it)."""
    """What middleware computes once per run (the rendered instructions, ...)."""


current_run: ContextVar[RunContext | None] = ContextVar("springlet_current_run", default=None)
