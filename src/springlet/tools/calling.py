"""How a tool function is called on the runtime loop, so that no tool can take it down.

- An exception that is not an `Exception` (SystemExit from `sys.exit()`, KeyboardInterrupt,
  GeneratorExit) raised by a tool becomes `ToolStopped`, an ordinary exception: asyncio
  re-raises SystemExit/KeyboardInterrupt out of the event loop itself, which would stop
  the runtime loop and hang this run and every later one. The agent's tool guard turns
  `ToolStopped` into a failed tool call that is fed back to the model.
- A sync tool runs in a daemon thread of its own, not in the loop's default executor:
  that executor's threads are joined when the interpreter exits, so a tool abandoned past
  its `timeout_s` would keep the process alive until it returns. A daemon thread is
  abandoned for real (it dies with the process).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
from collections.abc import Awaitable, Callable
from typing import Any


class ToolStopped(Exception):
    """A tool raised SystemExit, KeyboardInterrupt or another BaseException."""

    def __init__(self, original: BaseException) -> None:
        detail = str(original)
        kind = type(original).__name__
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.original = original


def contained(exc: BaseException) -> BaseException:
    """`exc` itself when it is an ordinary exception (or a cancellation), else ToolStopped."""
    if isinstance(exc, Exception | asyncio.CancelledError):
        return exc
    return ToolStopped(exc)


def in_daemon_thread(func: Callable[..., Any], name: str) -> Callable[..., Awaitable[Any]]:
    """An async face of sync `func` that runs each call in a new daemon thread."""

    async def call(*args: Any, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        context = contextvars.copy_context()  # the run's context vars reach the tool

        def work() -> None:
            try:
                outcome = (True, context.run(func, *args, **kwargs))
            except BaseException as exc:
                outcome = (False, contained(exc))
            # RuntimeError: the loop closed while the tool ran, nobody waits for it
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_settle, future, outcome)

        threading.Thread(target=work, name=f"springlet-tool-{name}", daemon=True).start()
        return await future

    return call


def guarded_coroutine(func: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """Async `func` with any BaseException it raises made an ordinary exception."""

    async def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return await func(*args, **kwargs)
        except Exception:
            raise
        except BaseException as exc:
            replacement = contained(exc)
            if replacement is exc:
                raise
            raise replacement from exc

    return call


def _settle(future: asyncio.Future[Any], outcome: tuple[bool, Any]) -> None:
    if future.done():  # cancelled: the call timed out and was abandoned
        return
    ok, value = outcome
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)
