"""The rules every tool call of a springlet agent goes through, as one LangChain middleware.

- a call to a tool the agent does not have is answered with an error message;
- listed tools wait for human approval (the `approval` advisor);
- the same tool with the same arguments called again and again is stopped;
- a tool that raises (even SystemExit or KeyboardInterrupt) or exceeds its `timeout_s`
  returns the error to the model, and the run goes on (a timed-out call is abandoned);
- each call is announced and its outcome recorded as events.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Awaitable, Callable
from typing import Any

from langchain.agents.middleware import AgentMiddleware, AgentState, ModelRequest, ModelResponse
from langchain_core.messages import AIMessage, ToolMessage
from langgraph.errors import GraphBubbleUp
from langgraph.prebuilt.tool_node import ToolCallRequest
from langgraph.types import Command

from springlet.agents.compaction_tiers import capped_result
from springlet.agents.events import (
    ApprovalAnswered,
    ApprovalRequested,
    ToolCallFailed,
    ToolCallFinished,
    ToolCallStarted,
)
from springlet.agents.result import ToolCallRecord
from springlet.agents.run_context import RunContext, current_run
from springlet.agents.spec import DEFAULT_APPROVAL_TIMEOUT_S
from springlet.agents.transcript import STEP_LIMIT_PREFIX
from springlet.models.tool_arguments import INVALID_KEY, REPAIRED_KEY
from springlet.tools.calling import ToolStopped
from springlet.tracing.handler import TOOL_SPAN_ATTRIBUTES

ARGUMENTS_REPAIRED = "springlet.tool.arguments_repaired"
"""Tool span attribute: the arguments as the model wrote them, before they were repaired."""

ToolHandler = Callable[[ToolCallRequest], Awaitable[ToolMessage | Command[Any]]]
ModelHandler = Callable[[ModelRequest], Awaitable[ModelResponse]]


class StepBudget(AgentMiddleware[AgentState[Any], Any]):
    """Numbers the model calls of a run (events say which step they belong to) and ends
    the run with a step-limit answer instead of making call `max_steps + 1`.

    One wrap hook instead of LangChain's ModelCallLimitMiddleware plus a counter: those
    add three graph nodes, which cost more per run than all of springlet's own work.
    """

    def __init__(self, max_steps: int) -> None:
        super().__init__()
        self.max_steps = max_steps

    async def awrap_model_call(self, request: ModelRequest, handler: ModelHandler) -> Any:
        ctx = current_run.get()
        if ctx is not None:
            ctx.step += 1
            if ctx.step > self.max_steps:
                limit = f"{STEP_LIMIT_PREFIX}: {self.max_steps} model calls in this run."
                return ModelResponse(result=[AIMessage(limit)])
        return await handler(request)


class ToolGuard(AgentMiddleware[AgentState[Any], Any]):
    """Approval, repetition, timeout and error handling around each tool call."""

    def __init__(
        self,
        *,
        tool_names: list[str],
        approval_tools: set[str],
        timeouts: dict[str, float],
        max_repeated_calls: int,
        approval_timeout_s: float = DEFAULT_APPROVAL_TIMEOUT_S,
        max_result_tokens: int | None = None,
    ) -> None:
        super().__init__()
        self.max_result_tokens = max_result_tokens
        self.tool_names = tool_names
        self.approval_tools = approval_tools
        self.timeouts = timeouts
        self.approval_timeout_s = approval_timeout_s
        self.max_repeated_calls = max_repeated_calls

    async def awrap_tool_call(
        self, request: ToolCallRequest, handler: ToolHandler
    ) -> ToolMessage | Command[Any]:
        ctx = current_run.get()
        call = request.tool_call
        name, call_id = call["name"], call.get("id") or ""
        args = dict(call.get("args") or {})
        step = ctx.step if ctx else 0
        if ctx:
            ctx.emit(ToolCallStarted(ctx.run_id, step, call_id, name, args))
        repaired, invalid = _argument_notes(request.state, call_id)
        refusal = self._refusal(ctx, name, args)
        if refusal is None and invalid is not None:
            refusal = (
                f"Error: the arguments of '{name}' could not be used ({invalid}). Call it "
                "again with one JSON object, double-quoted keys and strings, that fits its "
                "parameters."
            )
        if refusal is None and name in self.approval_tools:
            refusal = await self._ask_approval(ctx, step, call_id, name, args)
        if refusal is not None:
            return self._finish(ctx, step, call_id, name, args, refusal, ok=False)
        token = TOOL_SPAN_ATTRIBUTES.set({ARGUMENTS_REPAIRED: repaired} if repaired else None)
        try:
            timeout = self.timeouts.get(name)
            outcome = await asyncio.wait_for(handler(request), timeout)
        except GraphBubbleUp:
            raise
        except TimeoutError:
            message = (
                f"Error: tool '{name}' did not finish within {self.timeouts[name]:g} s; "
                "it was abandoned."
            )
            return self._finish(ctx, step, call_id, name, args, message, ok=False)
        except ToolStopped as exc:
            message = f"Error: tool '{name}' stopped with {exc}; treated as a failed call."
            return self._finish(ctx, step, call_id, name, args, message, ok=False)
        except Exception as exc:
            message = f"Error: tool '{name}' failed: {type(exc).__name__}: {exc}"
            return self._finish(ctx, step, call_id, name, args, message, ok=False)
        except (KeyboardInterrupt, SystemExit, GeneratorExit) as exc:  # a tool not built by
            # @tool; the guards of springlet.tools.calling catch these at the source
            message = (
                f"Error: tool '{name}' stopped with {ToolStopped(exc)}; treated as a failed call."
            )
            return self._finish(ctx, step, call_id, name, args, message, ok=False)
        finally:
            TOOL_SPAN_ATTRIBUTES.reset(token)
        if isinstance(outcome, ToolMessage):
            outcome = self._capped(outcome)
            failed = outcome.status == "error"
            self._record(ctx, step, call_id, name, args, _text(outcome.content), ok=not failed)
        return outcome

    def _capped(self, outcome: ToolMessage) -> ToolMessage:
        """One result no longer than `max_result_tokens` (the tool span has it whole)."""
        if self.max_result_tokens is None or not isinstance(outcome.content, str):
            return outcome
        capped = capped_result(outcome.content, self.max_result_tokens)
        return outcome if capped is None else outcome.model_copy(update={"content": capped})

    def _refusal(self, ctx: RunContext | None, name: str, args: dict[str, Any]) -> str | None:
        if name not in self.tool_names:
            available = ", ".join(self.tool_names) or "none"
            return f"Error: there is no tool named '{name}'. Available tools: {available}."
        if ctx is None:
            return None
        key = f"{name}:{json.dumps(args, sort_keys=True, default=str)}"
        ctx.call_counts[key] = ctx.call_counts.get(key, 0) + 1
        if ctx.call_counts[key] > self.max_repeated_calls:
            return (
                f"Error: '{name}' was already called {self.max_repeated_calls} times with these "
                "exact arguments; use the earlier results and answer the user."
            )
        return None

    async def _ask_approval(
        self, ctx: RunContext | None, step: int, call_id: str, name: str, args: dict[str, Any]
    ) -> str | None:
        if ctx is None or (ctx.approver is None and not ctx.interactive_approval):
            return f"Error: '{name}' needs human approval and nobody was asked; it did not run."
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[tuple[bool, str]] = loop.create_future()
        event = ApprovalRequested(ctx.run_id, step, call_id, name, args, answer, loop)
        ctx.emit(event)
        if ctx.approver is not None:
            verdict = ctx.approver(event)
            if inspect.isawaitable(verdict):
                verdict = await verdict
            event.approve() if verdict else event.reject()
        try:
            approved, reason = await asyncio.wait_for(answer, self.approval_timeout_s)
        except TimeoutError:
            approved = False
            reason = f"no answer within {self.approval_timeout_s:g} s (approval timeout_s)"
        ctx.emit(ApprovalAnswered(ctx.run_id, step, call_id, name, approved, reason))
        if approved:
            return None
        return f"The user did not approve running '{name}' ({reason}). Do not retry it."

    def _finish(
        self,
        ctx: RunContext | None,
        step: int,
        call_id: str,
        name: str,
        args: dict[str, Any],
        text: str,
        *,
        ok: bool,
    ) -> ToolMessage:
        self._record(ctx, step, call_id, name, args, text, ok=ok)
        return ToolMessage(content=text, tool_call_id=call_id, name=name, status="error")

    @staticmethod
    def _record(
        ctx: RunContext | None,
        step: int,
        call_id: str,
        name: str,
        args: dict[str, Any],
        text: str,
        *,
        ok: bool,
    ) -> None:
        if ctx is None:
            return
        ctx.tool_calls.append(ToolCallRecord(call_id, name, args, text, ok))
        if ok:
            ctx.emit(ToolCallFinished(ctx.run_id, step, call_id, name, text))
        else:
            ctx.emit(ToolCallFailed(ctx.run_id, step, call_id, name, text))


def _argument_notes(state: Any, call_id: str) -> tuple[str | None, str | None]:
    """(the original text of repaired arguments, why the arguments were refused) for the
    call `call_id`, from the metadata of the AI message that made it."""
    messages = state.get("messages") if isinstance(state, dict) else None
    for message in reversed(messages or []):
        if isinstance(message, AIMessage) and any(
            c.get("id") == call_id for c in message.tool_calls
        ):
            meta = message.response_metadata or {}
            repaired = (meta.get(REPAIRED_KEY) or {}).get(call_id)
            invalid = (meta.get(INVALID_KEY) or {}).get(call_id)
            return repaired, invalid
    return None, None


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return json.dumps(content, default=str)
