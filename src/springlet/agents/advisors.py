"""Advisors written for springlet where no prebuilt LangChain middleware fits.

`Instructions` renders the agent's system prompt once per run (so `{{ today }}` is the
day of the run); `MemoryWindow` keeps the last N messages of a stored conversation in the
model's context without ever starting it on a tool result that lost its call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from langchain.agents.middleware import AgentMiddleware, AgentState, ModelRequest, ModelResponse
from langchain_core.messages import AnyMessage, SystemMessage, ToolMessage

from springlet.agents.run_context import current_run
from springlet.prompts.template import render

ModelHandler = Callable[[ModelRequest], Awaitable[ModelResponse]]


class Instructions(AgentMiddleware[AgentState[Any], Any]):
    """Put the instructions, rendered once per run, in the system message of each model call."""

    def __init__(self, template: str, agent_name: str) -> None:
        super().__init__()
        self.template = template
        self.agent_name = agent_name
        self._static = None if _has_markup(template) else SystemMessage(self._render())

    @property
    def static_text(self) -> str | None:
        """The instructions when they are the same for every run (no template markup)."""
        return None if self._static is None else self._static.text

    async def awrap_model_call(self, request: ModelRequest, handler: ModelHandler) -> Any:
        return await handler(request.override(system_message=self._message()))

    def _message(self) -> SystemMessage:
        """The static text as is; a template rendered once per run ({{ now }} is the
        run's start), not once per model call."""
        if self._static is not None:
            return self._static
        ctx = current_run.get()
        if ctx is None:
            return SystemMessage(self._render())
        message: SystemMessage | None = ctx.memo.get("instructions")
        if message is None:
            message = ctx.memo["instructions"] = SystemMessage(self._render())
        return message

    def _render(self) -> str:
        return render(self.template, {}, what=f"instructions of agent '{self.agent_name}'")


def _has_markup(template: str) -> bool:
    return any(mark in template for mark in ("{{", "{%", "{#"))


class MemoryWindow(AgentMiddleware[AgentState[Any], Any]):
    """Send only the last `window` messages to the model; all of them stay stored."""

    def __init__(self, window: int) -> None:
        super().__init__()
        self.window = window

    async def awrap_model_call(self, request: ModelRequest, handler: ModelHandler) -> Any:
        trimmed = last_messages(request.messages, self.window)
        return await handler(request.override(messages=trimmed))


def last_messages(messages: list[AnyMessage], window: int) -> list[AnyMessage]:
    """The last `window` messages, widened so no tool result is cut from its call."""
    start = max(0, len(messages) - window)
    while start > 0 and isinstance(messages[start], ToolMessage):
        start -= 1
    return messages[start:]
