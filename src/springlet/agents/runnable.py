"""The four faces of every runnable agent: `run`, `arun`, `stream`, `astream`.

```python
agent = ws.agent("orders")
result = agent.run("Where is order A-1001?")            # blocking
result = await agent.arun("Where is order A-1001?")     # from async code
for event in agent.stream("..."): ...                   # events as they happen
async for event in agent.astream("..."): ...
```

Every run executes on springlet's runtime loop (see `runtime_loop`); the faces only
differ in how they wait, so a subclass writes `_execute` once.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from springlet._runtime import runtime_loop
from springlet.agents.events import Event
from springlet.agents.result import RunResult
from springlet.agents.run_context import Approver

_DONE = object()

Emit = Callable[[Event], None]


class RunnableAgent(ABC):
    """Something that answers a message with a run: an agent or a router."""

    @property
    @abstractmethod
    def name(self) -> str: ...

    @abstractmethod
    async def _execute(
        self,
        message: str,
        session_id: str | None,
        approve: Approver | None,
        emit: Emit,
        *,
        interactive: bool = False,
        run_id: str | None = None,
    ) -> RunResult:
        """Run once on the runtime loop, emitting events; never raises for a failed run."""

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
            # the caller may have stopped listening and closed its loop before the run's end
            if not loop.is_closed():
                with contextlib.suppress(RuntimeError):
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


def _ignore(event: Event) -> None:
    return None
