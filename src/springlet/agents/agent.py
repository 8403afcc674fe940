"""`Agent`: a built agent, run as often as needed, from threads and async code alike.

```python
agent = ws.agent("orders")
result = agent.run("Where is order A-1001?")            # blocking
result = await agent.arun("Where is order A-1001?")     # from async code
for event in agent.stream("..."): ...                   # events as they happen
async for event in agent.astream("..."): ...
```

Every run executes on springlet's runtime loop (see `runtime_loop`); the four faces
above only differ in how they wait. `_execute` is the one place a run happens.
"""

from __future__ import annotations

import asyncio
import queue
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

from springlet.agents import runtime_loop
from springlet.agents.events import (
    Event,
    ModelMessage,
    ModelToken,
    RunFailed,
    RunFinished,
    RunStarted,
)
from springlet.agents.result import RunResult, RunStatus, Usage
from springlet.agents.run_context import Approver, RunContext, current_run
from springlet.agents.transcript import (
    STEP_LIMIT_PREFIX,
    message_dicts,
    repair_dangling_tool_calls,
    text_of,
)
from springlet.errors import SpringletError

if TYPE_CHECKING:
    from langgraph.graph.state import CompiledStateGraph

    from springlet.agents.spec import AgentSpec
    from springlet.models.resolve import ResolvedChatModel
    from springlet.workspace.workspace import Workspace

_DONE = object()


class Agent:
    """A runnable agent. Safe for many concurrent runs; each run is independent unless
    two runs share a `session_id` (then they share the conversation memory)."""

    def __init__(
        self,
        *,
        ws: Workspace,
        spec: AgentSpec,
        graph: CompiledStateGraph[Any, Any, Any, Any],
        resolved: ResolvedChatModel,
        has_memory: bool,
    ) -> None:
        self.ws = ws
        self.spec = spec
        self.graph = graph
        self.resolved = resolved
        self.has_memory = has_memory

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def model(self) -> str:
        return str(self.resolved.ref)

    # -- the four faces -------------------------------------------------------------

    def run(
        self, message: str, *, session_id: str | None = None, approve: Approver | None = None
    ) -> RunResult:
        """Run to the end and return the result. `approve` answers approval requests."""
        return runtime_loop.run_sync(self._execute(message, session_id, approve, _ignore))

    async def arun(
        self, message: str, *, session_id: str | None = None, approve: Approver | None = None
    ) -> RunResult:
        """`run` for async callers."""
        return await runtime_loop.run_async(self._execute(message, session_id, approve, _ignore))

    def stream(self, message: str, *, session_id: str | None = None) -> Iterator[Event]:
        """Yield events as they happen; answer `ApprovalRequested` events with
        `event.approve()` / `event.reject()`. Stopping early cancels the run."""
        inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        future = runtime_loop.submit(
            self._execute(message, session_id, None, inbox.put, interactive=True)
        )
        future.add_done_callback(lambda _: inbox.put(_DONE))
        try:
            while (item := inbox.get()) is not _DONE:
                yield item
            future.result()
        finally:
            future.cancel()

    async def astream(self, message: str, *, session_id: str | None = None) -> AsyncIterator[Event]:
        """`stream` for async callers."""
        loop = asyncio.get_running_loop()
        inbox: asyncio.Queue[Any] = asyncio.Queue()

        def post(item: Any) -> None:
            loop.call_soon_threadsafe(inbox.put_nowait, item)

        future = runtime_loop.submit(
            self._execute(message, session_id, None, post, interactive=True)
        )
        future.add_done_callback(lambda _: post(_DONE))
        try:
            while (item := await inbox.get()) is not _DONE:
                yield item
            future.result()
        finally:
            future.cancel()

    # -- the one place a run happens --------------------------------------------------

    async def _execute(
        self,
        message: str,
        session_id: str | None,
        approve: Approver | None,
        emit: Any,
        *,
        interactive: bool = False,
    ) -> RunResult:
        run_id = uuid.uuid4().hex
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
        token = current_run.set(ctx)
        started = time.perf_counter()
        emit(RunStarted(run_id, self.name, session, self.model, self.resolved.reason))
        state: dict[str, Any] = {}
        status: RunStatus = "ok"
        error: str | None = None
        config: dict[str, Any] = {"configurable": {"thread_id": session}, "recursion_limit": 200}
        try:
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
            status, error = "error", str(exc)
        except Exception as exc:  # a model or library failure: report it, keep the run record
            status, error = "error", f"{type(exc).__name__}: {exc}"
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
        self, message: str, config: dict[str, Any], ctx: RunContext, state: dict[str, Any]
    ) -> None:
        from langchain_core.messages import AIMessage, AIMessageChunk

        inputs = {"messages": [{"role": "user", "content": message}]}
        async for mode, payload in self.graph.astream(
            inputs, config, stream_mode=["messages", "updates", "values"]
        ):
            if mode == "values":
                state.update(payload)
            elif mode == "messages":
                chunk, meta = payload
                if isinstance(chunk, AIMessageChunk) and meta.get("langgraph_node") == "model":
                    text = text_of(chunk.content)
                    if text:
                        ctx.emit(ModelToken(ctx.run_id, ctx.step, text))
            elif mode == "updates":
                for update in payload.values():
                    for msg in (
                        (update or {}).get("messages", []) if isinstance(update, dict) else []
                    ):
                        if isinstance(msg, AIMessage):
                            calls = tuple(dict(c) for c in msg.tool_calls)
                            ctx.emit(
                                ModelMessage(ctx.run_id, ctx.step, text_of(msg.content), calls)
                            )

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
        if output is not None and hasattr(output, "model_dump"):
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
            model=self.model,
            model_reason=self.resolved.reason,
            error=error,
        )


def _ignore(event: Event) -> None:
    return None
