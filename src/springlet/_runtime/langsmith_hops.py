"""Skip LangSmith's thread hops on springlet's runtime loop when LangSmith is not tracing.

LangChain wraps every middleware `wrap_*` hook in LangSmith's `traceable`, whose async
form runs two small bookkeeping functions in a worker thread per call — even when
LangSmith tracing is off. On springlet's runtime loop that is ~14 thread round trips
per agent run (half the run's overhead, measured by bench/agent_overhead.py). LangSmith
offers `set_runtime_overrides(aio_to_thread=...)` for exactly this; springlet installs
one that runs those functions inline on its own loop while LangSmith is not tracing,
and leaves every other loop, and any override a user installed, alone.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable
from typing import Any


def install_inline_hops(loop: asyncio.AbstractEventLoop) -> bool:
    """Install the override for `loop`; False when LangSmith or another override is absent."""
    try:
        import langsmith
        from langsmith._runtime_overrides import get_runtime_overrides
        from langsmith.utils import tracing_is_enabled
    except ImportError:
        return False
    if get_runtime_overrides().aio_to_thread is not None:
        return False

    async def aio_to_thread(
        default: Callable[..., Awaitable[Any]],
        ctx: contextvars.Context,
        func: Callable[..., Any],
        /,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        if asyncio.get_running_loop() is loop and not tracing_is_enabled():
            return ctx.run(func, *args, **kwargs)
        return await default(ctx, func, *args, **kwargs)

    langsmith.set_runtime_overrides(aio_to_thread=aio_to_thread)
    return True
