"""springlet's process-wide state, in one registry: every module that keeps a cache or
holds something open for the whole process (the `auto` probe's answer, Ollama's model
catalog, which models lack native tools, the shared knowledge stores, the workspace
tracers) registers a `forget` and/or a `close` here.

- `reset()` forgets every cache and closes what is open: the documented reset for tests
  (`springlet.testing.reset_process_state()`), and for a process whose environment changed
  (an Ollama server started, OLLAMA_HOST edited).
- `close()` closes what is open and keeps the caches.

What must not survive a `fork()` is handled in `springlet._runtime.fork` instead: a forked
child resets those before any of its code runs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class _Entry:
    forget: Callable[[], None] | None
    close: Callable[[], None] | None


_lock = threading.Lock()
_entries: dict[str, _Entry] = {}


def register(
    name: str, *, forget: Callable[[], None] | None = None, close: Callable[[], None] | None = None
) -> None:
    """Register the process-wide state called `name` (a module's cache or resources)."""
    with _lock:
        _entries[name] = _Entry(forget, close)


def registered() -> list[str]:
    """The names of the registered state, for diagnostics and tests."""
    with _lock:
        return sorted(_entries)


def close() -> None:
    """Close everything the process holds open (stores, tracers); caches stay."""
    for entry in _snapshot():
        if entry.close is not None:
            entry.close()


def reset() -> None:
    """Close what is open and forget every cache: as if springlet had just been imported."""
    close()
    for entry in _snapshot():
        if entry.forget is not None:
            entry.forget()


def _snapshot() -> list[_Entry]:
    with _lock:
        return list(_entries.values())
