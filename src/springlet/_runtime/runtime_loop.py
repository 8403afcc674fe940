"""One event loop, in a daemon thread, where every agent run of the process executes.

Why: LangGraph's async SQLite checkpointer and the tools' async code must live on one
loop, while callers come from plain threads (`agent.run`) and from their own loops (a
web service's `await agent.arun`). Runs are submitted here; the sync and async faces of
`Agent` are thin wrappers over `submit` in one place. What lives on this loop is closed
on it too (memory's SQLite connection): `schedule` lets even a finalizer ask for that.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from springlet._runtime import fork

T = TypeVar("T")
log = logging.getLogger(__name__)

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None


def _forget_loop() -> None:
    """In a forked child: the loop's thread is gone; the next run starts a new one."""
    global _loop, _lock
    _loop, _lock = None, threading.Lock()


fork.forget_in_child(_forget_loop)


def runtime_loop() -> asyncio.AbstractEventLoop:
    """The process-wide runtime loop, started on first use."""
    global _loop
    with _lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
            thread = threading.Thread(
                target=_serve, args=(loop,), name="springlet-runtime", daemon=True
            )
            thread.start()
            _loop = loop
            from springlet._runtime.langsmith_hops import install_inline_hops

            install_inline_hops(loop)
        return _loop


def _serve(loop: asyncio.AbstractEventLoop) -> None:
    """Run `loop` until it is stopped. asyncio lets SystemExit and KeyboardInterrupt raised
    in a task escape `run_forever`; the task itself has already failed with it, so the loop
    goes on serving every other run instead of dying (which would hang them all)."""
    while True:
        try:
            loop.run_forever()
            return
        except (SystemExit, KeyboardInterrupt):
            log.debug(
                "a task on the runtime loop raised SystemExit/KeyboardInterrupt", exc_info=True
            )


def submit(coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
    """Schedule `coro` on the runtime loop; the future is safe to wait on from any thread."""
    return asyncio.run_coroutine_threadsafe(coro, runtime_loop())


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run `coro` on the runtime loop and wait for its result (from a non-runtime thread)."""
    if on_runtime_loop():
        coro.close()
        raise RuntimeError("run_sync called from the springlet runtime loop; await it instead")
    return submit(coro).result()


async def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Await `coro` run on the runtime loop from the caller's own loop; cancels with it."""
    if on_runtime_loop():
        return await coro
    future = submit(coro)
    try:
        return await asyncio.wrap_future(future)
    except asyncio.CancelledError:
        future.cancel()
        raise


def schedule(coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T] | None:
    """Start `coro` on the runtime loop without waiting, from any thread, even from a
    garbage-collection finalizer: it takes no lock and never starts a loop. None (and
    `coro` closed unrun) when no runtime loop is running."""
    loop = _loop
    if loop is None or loop.is_closed():
        coro.close()
        return None
    try:
        return asyncio.run_coroutine_threadsafe(coro, loop)
    except RuntimeError:  # closed in between
        coro.close()
        return None


def on_runtime_loop() -> bool:
    """True when called from code running on the runtime loop (which must not block)."""
    try:
        return asyncio.get_running_loop() is _loop
    except RuntimeError:
        return False
