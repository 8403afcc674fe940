"""The background writer: spans are queued on the agent's path and redacted and
handed to the sinks on one daemon thread, so a slow or failing store never slows or
fails a run."""

from __future__ import annotations

import atexit
import functools
import logging
import queue
import threading
import time
import warnings
from collections.abc import Callable, Sequence

from springlet._runtime import fork
from springlet.tracing.redaction import Redactor
from springlet.tracing.sinks import TraceSink
from springlet.tracing.spans import Span

log = logging.getLogger("springlet.tracing")

EXIT_FLUSH_S = 5.0
"""How long the interpreter's exit waits for queued spans to be written."""
BATCH_LIMIT = 1000
LINGER_S = 0.05
"""After the first span of a batch arrives the writer waits this long for more: one
transaction per batch instead of one per span keeps its CPU (and GIL) share small."""


class TracingWriteWarning(RuntimeWarning):
    """A trace could not be written; the run itself is unaffected."""


class _Flush:
    def __init__(self) -> None:
        self.done = threading.Event()


_STOP = object()


class SpanPipeline:
    """A queue drained by one daemon thread that redacts spans and writes them to sinks."""

    def __init__(self, sinks: Sequence[TraceSink], redactor: Redactor | None = None) -> None:
        self.sinks = list(sinks)
        self.redactor = redactor
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._reported: set[int] = set()
        self._closed = False
        fork.track(self)

    def _after_fork_in_child(self) -> None:
        # the writer thread did not survive the fork: a new one starts with the next span
        self._queue = queue.SimpleQueue()
        self._thread = None
        self._start_lock = threading.Lock()
        for sink in self.sinks:
            forget = getattr(sink, "forget_connections", None)
            if callable(forget):
                forget()

    def submit(self, span: Span) -> None:
        if self._thread is None:
            self._start()
        self._queue.put(span)

    def flush(self, timeout: float | None = 10.0) -> bool:
        """Wait until everything submitted so far reached the sinks."""
        if self._thread is None or not self._thread.is_alive():
            return True
        marker = _Flush()
        self._queue.put(marker)
        return marker.done.wait(timeout)

    def close(self, timeout: float | None = 10.0) -> None:
        """Write what is queued, then close the sinks (on the writer thread, which owns
        their connections)."""
        if self._closed:
            return
        self._closed = True
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join(timeout)
            if self._thread.is_alive():
                self._gave_up(timeout)
        else:
            self._close_sinks()

    def _flush_at_exit(self) -> None:
        if not self.flush(EXIT_FLUSH_S):
            self._gave_up(EXIT_FLUSH_S)

    def _gave_up(self, waited: float | None) -> None:
        self._warn(
            f"springlet gave up waiting {waited or 0:g} s for traces to be written "
            f"({', '.join(type(s).__name__ for s in self.sinks)}: locked by another "
            "process, or too slow); the traces of the last runs may be missing"
        )

    def _close_sinks(self) -> None:
        for sink in self.sinks:
            self._guard(sink, sink.close)

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None:
                thread = threading.Thread(target=self._drain, name="springlet-traces", daemon=True)
                thread.start()
                self._thread = thread
                atexit.register(self._flush_at_exit)

    def _drain(self) -> None:
        while True:
            items = [self._queue.get()]
            if not isinstance(items[0], _Flush) and items[0] is not _STOP:
                time.sleep(LINGER_S)
            while len(items) < BATCH_LIMIT:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            batch = [item for item in items if isinstance(item, Span)]
            if batch:
                self._deliver(batch)
            for item in items:
                if isinstance(item, _Flush):
                    item.done.set()
            if any(item is _STOP for item in items):
                self._close_sinks()
                return

    def _deliver(self, batch: list[Span]) -> None:
        # a run's root span is sent open and again closed; when both are in one batch
        # only the closed one is worth redacting and writing
        batch = [span.settled() for span in {span.span_id: span for span in batch}.values()]
        if self.redactor is not None:
            batch = [self.redactor.span(span) for span in batch]
        for sink in self.sinks:
            self._guard(sink, functools.partial(sink.write, batch))

    def _guard(self, sink: TraceSink, action: Callable[[], object]) -> None:
        try:
            action()
        except Exception as exc:
            self._report(sink, exc)

    def _report(self, sink: TraceSink, exc: Exception) -> None:
        log.debug("writing traces to %s failed", type(sink).__name__, exc_info=exc)
        if id(sink) in self._reported:
            return
        self._reported.add(id(sink))
        self._warn(
            f"springlet could not write traces to {type(sink).__name__}: {exc}\n"
            "  Runs go on and answer; their traces may be incomplete (said once per sink)."
        )

    @staticmethod
    def _warn(message: str) -> None:
        """One report: a TracingWriteWarning (logging's copy would print it twice)."""
        warnings.warn(message, TracingWriteWarning, stacklevel=1)
