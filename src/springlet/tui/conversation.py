"""`Conversation`: one chat with one agent, turning a run's events into typed messages.

It holds what a chat needs to remember between messages (the session id, the tools the
user allowed for the session) and never touches a widget: it is handed a `post`
function (the chat's `post_message`) and runs inside the app's worker.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from textual.message import Message

import springlet.agents.events as ev
from springlet import SpringletError
from springlet.tui.backend import Backend
from springlet.tui.messages import (
    AnswerDelta,
    AnswerStep,
    ApprovalChoice,
    ApprovalNeeded,
    RunBegan,
    RunEnded,
    SourcesFound,
    ToolEnded,
    ToolStarted,
    ToolStatus,
)

Post = Callable[[Message], Any]


class _RunState:
    """What one run's translation remembers: when each tool started, which were refused."""

    def __init__(self) -> None:
        self.started: dict[str, float] = {}
        self.rejected: set[str] = set()

    def took_ms(self, call_id: str) -> float | None:
        began = self.started.pop(call_id, None)
        return (time.perf_counter() - began) * 1000 if began is not None else None


class Conversation:
    """A chat with `agent` in session `session_id` (a new session id when none is given)."""

    def __init__(self, backend: Backend, agent: str, session_id: str | None = None) -> None:
        self.backend = backend
        self.agent = agent
        self.session_id = session_id or backend.new_session_id()
        self.allowed_tools: set[str] = set()
        """Tools the user allowed "for this session": asked no more."""
        self.last_message = ""
        self.model: str | None = None
        """The model this session switched to (after its own failed), None: the agent's."""

    async def send(self, message: str, post: Post) -> None:
        """Run the agent on `message`, posting what happens; never raises for a failed run."""
        self.last_message = message
        run = _RunState()
        try:
            events = self.backend.astream(self.agent, message, self.session_id, self.model)
            async for event in events:
                self._translate(event, run, post)
        except SpringletError as exc:
            post(RunEnded("error", str(exc)))
        except Exception as exc:  # a broken server or library: say so in the chat
            post(RunEnded("error", f"{type(exc).__name__}: {exc}"))

    def _translate(self, event: ev.Event, run: _RunState, post: Post) -> None:
        match event:
            case ev.RunStarted(model=model, model_reason=reason, run_id=run_id):
                post(RunBegan(self.agent, model, reason, run_id))
            case ev.ModelToken(step=step, text=text):
                post(AnswerDelta(step, text))
            case ev.ModelMessage(step=step, text=text):
                post(AnswerStep(step, text))
            case ev.ToolCallStarted(call_id=call_id, name=name, arguments=args):
                run.started[call_id] = time.perf_counter()
                post(ToolStarted(call_id, name, args))
            case ev.ToolCallFinished(call_id=call_id, result=result):
                post(ToolEnded(call_id, "ok", result, run.took_ms(call_id)))
            case ev.ToolCallFailed(call_id=call_id, error=error):
                status: ToolStatus = "rejected" if call_id in run.rejected else "failed"
                post(ToolEnded(call_id, status, error, run.took_ms(call_id)))
            case ev.ApprovalRequested():
                self._ask(event, post)
            case ev.ApprovalAnswered(call_id=call_id, approved=False):
                run.rejected.add(call_id)
            case ev.RetrievalDone(sources=sources):
                post(SourcesFound(sources))
            case ev.RunFinished():
                post(RunEnded(event.result.status))
            case ev.RunFailed(error=error):
                post(RunEnded(event.result.status if event.result else "error", error))

    def _ask(self, event: ev.ApprovalRequested, post: Post) -> None:
        if event.name in self.allowed_tools:
            event.approve()
            return

        def answer(choice: ApprovalChoice) -> None:
            if choice == "deny":
                event.reject("the user denied it in the approval dialog")
                return
            if choice == "session":
                self.allowed_tools.add(event.name)
            event.approve()

        post(ApprovalNeeded(event.name, dict(event.arguments), answer))
