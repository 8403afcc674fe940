"""On springlet's runtime loop, LangSmith's bookkeeping runs inline (no thread hop)
while LangSmith is not tracing; elsewhere LangSmith behaves as it always does."""

from __future__ import annotations

import asyncio
import contextvars
import threading

from langsmith._internal._aiter import aio_to_thread

from springlet._runtime import runtime_loop


def test_runtime_loop_runs_langsmith_bookkeeping_inline() -> None:
    async def probe() -> tuple[str, str]:
        here = threading.current_thread().name
        there = await aio_to_thread(
            contextvars.copy_context(), lambda: threading.current_thread().name
        )
        return here, there

    here, there = runtime_loop.run_sync(probe())
    assert here == there == "springlet-runtime"


def test_other_loops_keep_langsmiths_worker_threads() -> None:
    runtime_loop.runtime_loop()  # make sure the override is installed

    async def probe() -> tuple[str, str]:
        here = threading.current_thread().name
        there = await aio_to_thread(
            contextvars.copy_context(), lambda: threading.current_thread().name
        )
        return here, there

    here, there = asyncio.run(probe())
    assert here != there
