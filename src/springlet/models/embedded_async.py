"""Async face of a blocking generator: llama.cpp runs in a worker thread, the event loop
receives its items as they come and stays free meanwhile."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TypeVar

T = TypeVar("T")

_DONE = object()


async def stream_in_thread(produce: Callable[[], Iterator[T]]) -> AsyncIterator[T]:
    """Yield what `produce()` yields, running it in a thread.

    If the consumer stops early (break, cancellation), the worker is told to stop at the
    next item and its generator is closed there, releasing the model lock.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[object] = asyncio.Queue()
    stop = threading.Event()

    def work() -> None:
        iterator = produce()
        try:
            for item in iterator:
                if stop.is_set():
                    break
                loop.call_soon_threadsafe(queue.put_nowait, item)
        except BaseException as error:  # handed to the consumer, re-raised there
            loop.call_soon_threadsafe(queue.put_nowait, _Failure(error))
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()
            loop.call_soon_threadsafe(queue.put_nowait, _DONE)

    worker = loop.run_in_executor(None, work)
    try:
        while True:
            item = await queue.get()
            if item is _DONE:
                break
            if isinstance(item, _Failure):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        await asyncio.shield(worker)


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error
