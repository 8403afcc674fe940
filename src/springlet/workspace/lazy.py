"""`Lazy`: a value made once, on first use, by any thread — with a lock of its own.

Why one lock per value and not one per workspace: making some values waits on the
runtime loop (memory's SQLite connection opens there), while code running on that loop
asks for others (a run's tracer). With one shared lock, a thread building an agent with
memory held it while waiting for the loop, and every run on the loop waited for the lock:
a deadlock. A value's lock is held only while that value is made, and reading a value
already made takes no lock at all.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar, cast

T = TypeVar("T")


class Lazy(Generic[T]):
    """`make()` called at most once per `reset()`; `get()` returns its value."""

    def __init__(self, make: Callable[[], T]) -> None:
        self._make = make
        self._lock = threading.Lock()
        self._value: T | None = None
        self._made = False

    def get(self) -> T:
        if self._made:  # the fast path every run takes: no lock
            return cast(T, self._value)
        with self._lock:
            if not self._made:
                self._value = self._make()
                self._made = True
            return self._value

    def take(self) -> T | None:
        """The value if it was made (it is forgotten: the next `get()` makes a new one)."""
        with self._lock:
            value, made = self._value, self._made
            self._value, self._made = None, False
        return value if made else None

    def forget(self) -> None:
        """In a forked child: drop the value unclosed (it belongs to the parent's threads)
        and the lock (another thread may have held it at the fork)."""
        self._lock = threading.Lock()
        self._value, self._made = None, False
