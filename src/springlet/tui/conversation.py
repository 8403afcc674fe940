"""`Conversation`: one chat with one agent, turning a run's events into typed messages.

It holds what a chat needs to remember between messages (the session id, the tools the
user allowed for the session) and never touches a widget: it is handed a `post`
function (the chat's `post_message`) and runs inside the app's worker.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from textual.message import Message

import springlet.agents.events as ev
from springlet import SpringletError
from springlet.tui.backend import Backend, ToolCallRecord, TranscriptEntry
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
)

Post = Callable[[Message], Any]


@dataclass
class _Turn:
    """What one run produced, kept to record the turn when it ends."""

    message: str
    texts: list[str] = field(default_factory=list)
    calls: dict[str, dict[str, Any]] = field(default_factory=dict)
    sources: list[dict[str, Any]] = field(default_factory=list)
    run_id: str | None = None

    def entries(self) -> list[TranscriptEntry]:
        records = tuple(
            ToolCallRecord(
                call_id,
                c["name"],
                c["arguments"],
                c.get("result"),
                c.get("status", "failed"),
                c.get("duration_ms"),
            )
            for call_id, c in self.calls.items()
        )
        answer = "\n\n".join(t for t in self.texts if t)
        return [
            TranscriptEntry("user", self.message),
            TranscriptEntry("assistant", answer, records, tuple(self.sources), self.run_id),
        ]


class Conversation:
    """A chat with `agent` in session `session_id` (a new session id when none is given)."""

    def __init__(self, backend: Backend, agent: str, session_id: str | None = None) -> None:
        self.backend = backend
        self.agent = agent
        self.session_id = session_id or backend.new_session_id()
        self.allowed_tools: set[str] = set()
        """Tools the user allowed "for this session": asked no more."""
        self.last_message = ""

    async def send(self, message: str, post: Post) -> None:
        """Run the agent on `message`, posting what happens; never raises for a failed run."""
        self.last_message = message
        turn = _Turn(message)
        started: dict[str, float] = {}
        try:
            async for event in self.backend.astream(self.agent, message, self.session_id):
                self._translate(event, turn, started, post)
        except SpringletError as exc:
            post(RunEnded("error", str(exc)))
            return
        except Exception as exc:  # a broken server or library: say so in the chat
            post(RunEnded("error", f"{type(exc).__name__}: {exc}"))
            return
        self.backend.record_turn(self.session_id, self.agent, turn.entries())

    def _translate(
        self, event: ev.Event, turn: _Turn, started: dict[str, float], post: Post
    ) -> None:
        match event:
            case ev.RunStarted(model=model, model_reason=reason):
                turn.run_id = event.run_id
                post(RunBegan(self.agent, model, reason))
            case ev.ModelToken(step=step, text=text):
                post(AnswerDelta(step, text))
            case ev.ModelMessage(step=step, text=text):
                turn.texts.append(text)
                post(AnswerStep(step, text))
            case ev.ToolCallStarted(call_id=call_id, name=name, arguments=args):
                started[call_id] = time.perf_counter()
                turn.calls[call_id] = {"name": name, "arguments": args}
                post(ToolStarted(call_id, name, args))
            case ev.ToolCallFinished(call_id=call_id, result=result):
                self._tool_end(turn, started, call_id, "ok", result, post)
            case ev.ToolCallFailed(call_id=call_id, error=error):
                rejected = turn.calls.get(call_id, {}).get("status") == "rejected"
                self._tool_end(
                    turn, started, call_id, "rejected" if rejected else "failed", error, post
                )
            case ev.ApprovalRequested():
                self._ask(event, post)
            case ev.ApprovalAnswered(call_id=call_id, approved=False):
                turn.calls.setdefault(call_id, {"name": event.name, "arguments": {}})
                turn.calls[call_id]["status"] = "rejected"
            case ev.RetrievalDone(sources=sources):
                turn.sources.extend(sources)
                post(SourcesFound(sources))
            case ev.RunFinished():
                post(RunEnded(event.result.status))
            case ev.RunFailed(error=error):
                post(RunEnded(event.result.status if event.result else "error", error))

    def _tool_end(
        self,
        turn: _Turn,
        started: dict[str, float],
        call_id: str,
        status: Any,
        result: str,
        post: Post,
    ) -> None:
        began = started.pop(call_id, None)
        duration = (time.perf_counter() - began) * 1000 if began is not None else None
        call = turn.calls.setdefault(call_id, {"name": "?", "arguments": {}})
        call.update(status=status, result=result, duration_ms=duration)
        post(ToolEnded(call_id, status, result, duration))

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
