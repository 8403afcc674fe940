"""`Agent`: a tool-using agent built on LangChain's `create_agent`, run as often as needed.

`_execute` is the one place a run happens; `RunnableAgent` gives it its four faces
(`run`, `arun`, `stream`, `astream`).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from springlet._runtime.messages import text_of
from springlet.agents.events import (
    ModelMessage,
    ModelThinking,
    ModelToken,
    RunFailed,
    RunFinished,
    RunStarted,
)
from springlet.agents.result import RunResult, RunStatus, Usage
from springlet.agents.run_context import Approver, RunContext, current_run
from springlet.agents.runnable import RunnableAgent
from springlet.agents.session_lock import session_turn
from springlet.agents.transcript import (
    STEP_LIMIT_PREFIX,
    message_dicts,
    repair_dangling_tool_calls,
)
from springlet.errors import SpringletError

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from langchain_core.runnables import RunnableConfig
    from langgraph.graph.state import CompiledStateGraph
    from pydantic import BaseModel

    from springlet.agents.services import AgentServices
    from springlet.agents.spec import AgentSpec
    from springlet.models.resolve import ResolvedChatModel


class Agent(RunnableAgent):
    """A runnable agent. Safe for many concurrent runs; each run is independent unless
    two runs share a `session_id` (then they share the conversation memory)."""

    def __init__(
        self,
        *,
        services: AgentServices,
        spec: AgentSpec,
        graph: CompiledStateGraph[Any, Any, Any, Any],
        resolved: ResolvedChatModel,
        has_memory: bool,
        output_model: type[BaseModel] | None = None,
    ) -> None:
        self.services = services
        self.spec = spec
        self.graph = graph
        self.resolved = resolved
        self.has_memory = has_memory
        self.output_model = output_model
        self._typed: dict[type[BaseModel], Agent] = {}
        # LangGraph counts supersteps, not model calls: one step of the loop visits at most
        # every node once (the model, the tools, each middleware hook), so this lets
        # limits.max_steps end the run, never LangGraph's GraphRecursionError
        self._recursion_limit = spec.limits.max_steps * max(2, len(graph.nodes)) + 10
        self._typed_lock = threading.Lock()

    def with_output(self, model: type[BaseModel]) -> Agent:
        """This agent answering with instances of `model` (validated; an answer that
        does not fit is asked for again). Built once per model, then reused.

        ```python
        order = ws.agent("orders").with_output(OrderStatus).run("Where is A-1001?").output
        ```
        """
        with self._typed_lock:
            if model not in self._typed:
                from springlet.agents.factory import build_agent

                self._typed[model] = build_agent(self.services, self.name, output=model)
            return self._typed[model]

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def model(self) -> str:
        return str(self.resolved.ref)

    # -- the one place a run happens --------------------------------------------------

    async def _execute(
        self,
        message: str,
        session_id: str | None,
        approve: Approver | None,
        emit: Any,
        *,
        interactive: bool = False,
        run_id: str | None = None,
    ) -> RunResult:
        # a router hands its own run id down, so its RouteChosen event and the trace agree
        scope = self.services.tracer().run(
            agent=self.name, model=self.model, session_id=session_id, input=message, run_id=run_id
        )
        run_id = scope.run_id
        session = session_id or run_id
        ctx = RunContext(
            run_id=run_id,
            agent=self.name,
            session_id=session,
            emit=emit,
            approver=approve,
            interactive_approval=interactive,
            loop=asyncio.get_running_loop(),
        )
        memory = self.graph.checkpointer if self.has_memory else None
        async with scope, session_turn(memory, session):  # one turn of a session at a time
            result = await self._traced(message, ctx, scope.callbacks)
            output = result.output if result.output is not None else result.text
            scope.finish(
                output=output, status=_span_status(result), error=ctx.failure or result.error
            )
        return result

    async def _traced(self, message: str, ctx: RunContext, callbacks: list[Any]) -> RunResult:
        token = current_run.set(ctx)
        started = time.perf_counter()
        emit, run_id = ctx.emit, ctx.run_id
        emit(RunStarted(run_id, self.name, ctx.session_id, self.model, self.resolved.reason))
        state: dict[str, Any] = {}
        status: RunStatus = "ok"
        error: str | None = None
        config: RunnableConfig = {
            "configurable": {"thread_id": ctx.session_id},
            "recursion_limit": self._recursion_limit,
            "callbacks": callbacks,
        }
        try:
            if not message.strip():  # no model call for nothing: a failed, traced run
                raise SpringletError("the message is empty", hint="ask the agent something")
            if self.has_memory:
                await repair_dangling_tool_calls(self.graph, config)
            run = self._drive(message, config, ctx, state)
            await asyncio.wait_for(run, self.spec.limits.timeout_s)
        except TimeoutError:
            status = "timeout"
            error = f"timed out after {self.spec.limits.timeout_s:g} s (limits.timeout_s)"
        except asyncio.CancelledError:
            status = "cancelled"
            error = "the run was cancelled"
            result = self._result(ctx, state, status, error, started)
            emit(RunFailed(run_id, error, result))
            raise
        except SpringletError as exc:
            status, error, ctx.failure = "error", str(exc), exc
        except Exception as exc:  # a model or library failure: report it, keep the run record
            status, error, ctx.failure = "error", f"{type(exc).__name__}: {exc}", exc
            log.debug("run %s of agent %s failed", run_id, self.name, exc_info=True)
        finally:
            current_run.reset(token)
        result = self._result(ctx, state, status, error, started)
        emit(
            RunFinished(run_id, result)
            if status in ("ok", "step_limit")
            else RunFailed(run_id, error or status, result)
        )
        return result

    async def _drive(
        self, message: str, config: RunnableConfig, ctx: RunContext, state: dict[str, Any]
    ) -> None:
        """Run the graph, turning its updates into events and collecting this run's
        messages into `state` (token streaming only when someone reads the events)."""
        from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage

        from springlet.agents.thinking import ThinkingStream
        from springlet.agents.token_gate import TokenGate

        state["messages"] = [HumanMessage(message)]
        inputs = {"messages": state["messages"][:]}
        from langgraph.types import StreamMode

        modes: list[StreamMode] = ["updates"]
        if ctx.interactive_approval:
            modes.append("messages")
        gate = TokenGate()  # tool calls written as text are not streamed as answers
        thinking = ThinkingStream()  # nor is thinking: it streams as its own events
        parts: Any = self.graph.astream(inputs, config, stream_mode=modes)
        async for mode, payload in parts:
            if mode == "messages":
                chunk, meta = payload
                if isinstance(chunk, AIMessageChunk) and meta.get("langgraph_node") == "model":
                    thought, answer = thinking.feed(ctx.step, chunk, text_of(chunk.content))
                    if thought:
                        ctx.emit(ModelThinking(ctx.run_id, ctx.step, thought))
                    text = gate.feed(ctx.step, answer)
                    if text:
                        ctx.emit(ModelToken(ctx.run_id, ctx.step, text))
                continue
            for update in payload.values():
                if not isinstance(update, dict):
                    continue
                if "structured_response" in update:
                    state["structured_response"] = update["structured_response"]
                for message_out in update.get("messages", []):
                    state["messages"].append(message_out)
                    if isinstance(message_out, AIMessage):
                        calls = tuple(dict(c) for c in message_out.tool_calls)
                        thought, rest = thinking.settle(ctx.step)
                        if thought:
                            ctx.emit(ModelThinking(ctx.run_id, ctx.step, thought))
                        early = gate.feed(ctx.step, rest) if rest else ""
                        if early:
                            ctx.emit(ModelToken(ctx.run_id, ctx.step, early))
                        held = gate.settle(ctx.step, became_tool_call=bool(calls))
                        if held:
                            ctx.emit(ModelToken(ctx.run_id, ctx.step, held))
                        text = text_of(message_out.content)
                        ctx.emit(ModelMessage(ctx.run_id, ctx.step, text, calls))

    def _result(
        self,
        ctx: RunContext,
        state: dict[str, Any],
        status: RunStatus,
        error: str | None,
        started: float,
    ) -> RunResult:
        from langchain_core.messages import AIMessage, HumanMessage

        messages = list(state.get("messages", []))
        # only this run's part of a remembered conversation
        start = max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=0)
        own = messages[start:]
        answers = [m for m in own if isinstance(m, AIMessage)]
        text = text_of(answers[-1].content) if answers else ""
        if status == "ok" and text.startswith(STEP_LIMIT_PREFIX):
            status = "step_limit"
            text = (
                f"Step limit reached: the agent used its {self.spec.limits.max_steps} model "
                "calls without finishing (raise limits.max_steps, or ask a narrower question)."
            )
        usage = Usage(
            input_tokens=sum(m.usage_metadata["input_tokens"] for m in answers if m.usage_metadata),
            output_tokens=sum(
                m.usage_metadata["output_tokens"] for m in answers if m.usage_metadata
            ),
        )
        output: Any = state.get("structured_response")
        if output is not None and self.output_model is not None:
            output = self.output_model.model_validate(output)
        elif output is not None and hasattr(output, "model_dump"):
            output = output.model_dump()
        return RunResult(
            run_id=ctx.run_id,
            agent=self.name,
            session_id=ctx.session_id,
            text=text,
            status=status,
            output=output,
            messages=message_dicts(own),
            tool_calls=list(ctx.tool_calls),
            sources=list(ctx.sources),
            usage=usage,
            duration_s=time.perf_counter() - started,
            # a fallback chain records which of its models answered, and why
            model=ctx.memo.get("springlet.model", (self.model,))[0],
            model_reason=ctx.memo.get("springlet.model", (None, self.resolved.reason))[1],
            error=error,
        )


def _span_status(result: RunResult) -> str:
    """The trace status of a run: step_limit is its own, timeouts and rejections are errors."""
    if result.status in ("ok", "step_limit", "cancelled"):
        return result.status
    return "error"
