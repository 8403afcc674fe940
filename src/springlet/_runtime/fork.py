"""What a forked child must forget: springlet's threads do not survive `fork()`.

A process that ran an agent and then forks (multiprocessing's default start method on
Linux, gunicorn `--preload`) hands its children a runtime loop whose thread is gone, a
trace writer whose thread is gone, locks that another thread may have held at that
instant, SQLite connections that must not be shared, and the same random state (so two
children would make the same span ids and overwrite each other's spans). Everything that
holds such state registers here; in the child it is reset before any code runs, and is
made anew on first use.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable
from typing import Protocol


class ForkAware(Protocol):
    def _after_fork_in_child(self) -> None: ...


_functions: list[Callable[[], None]] = []
_objects: weakref.WeakSet[ForkAware] = weakref.WeakSet()


def forget_in_child(function: Callable[[], None]) -> None:
    """Call `function` in every child forked from now on (module-level state)."""
    _functions.append(function)


def track(obj: ForkAware) -> None:
    """Call `obj._after_fork_in_child()` in every child forked while `obj` lives."""
    _objects.add(obj)


def _reset_in_child() -> None:
    for function in _functions:
        function()
    for obj in list(_objects):
        obj._after_fork_in_child()


os.register_at_fork(after_in_child=_reset_in_child)
