"""`ws.watch(on_event)`: reload the workspace whenever its definitions change on disk.

watchfiles (Rust `notify`) watches the workspace root in a daemon thread; a burst of
saves arrives as one batch (debounced), which becomes one `ws.reload()` and one
`WorkspaceChanged` event. Only definition files count: YAML and `tools/*.py`, never the
data dir (traces and memory are written there all the time) or caches.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from springlet.workspace.reload import ReloadReport

if TYPE_CHECKING:
    from springlet.workspace.workspace import Workspace

DEFINITION_SUFFIXES = (".yaml", ".yml", ".py")
_IGNORED_PARTS = frozenset({"__pycache__", ".git", ".venv", "node_modules"})
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkspaceChanged:
    """Files changed on disk and what reloading them found."""

    paths: tuple[Path, ...]
    report: ReloadReport


class WatchHandle:
    """A running watcher; `stop()` ends it (and waits for its thread)."""

    def __init__(self, thread: threading.Thread, stop_event: threading.Event) -> None:
        self._thread = thread
        self._stop = stop_event

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout_s)


def start_watch(
    ws: Workspace, on_event: Callable[[WorkspaceChanged], None], *, debounce_ms: int = 200
) -> WatchHandle:
    """Watch `ws.root`; each batch of changed definition files reloads `ws` once."""
    import watchfiles

    stop_event = threading.Event()
    data_dir = ws.loaded.data_dir
    ready = threading.Event()

    def relevant(_change: watchfiles.Change, raw: str) -> bool:
        path = Path(raw)
        if path.suffix not in DEFINITION_SUFFIXES or _IGNORED_PARTS & set(path.parts):
            return False
        return not path.is_relative_to(data_dir)

    def run() -> None:
        changes = watchfiles.watch(
            ws.root,
            watch_filter=relevant,
            stop_event=stop_event,
            debounce=debounce_ms,
            step=50,
            yield_on_timeout=True,
            rust_timeout=200,
        )
        for batch in changes:
            ready.set()
            if not batch:
                continue
            paths = tuple(sorted({Path(p) for _, p in batch}))
            try:
                on_event(WorkspaceChanged(paths, ws.reload()))
            except Exception:  # a failing listener must not end the watch
                _log.exception("springlet: the workspace watcher's listener failed")

    thread = threading.Thread(target=run, name="springlet-watch", daemon=True)
    thread.start()
    ready.wait(2.0)  # the first timeout tick: the watcher is set up, changes count now
    return WatchHandle(thread, stop_event)
