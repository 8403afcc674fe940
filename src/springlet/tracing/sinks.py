"""Where spans go: the sink protocol for library users, and a few sinks."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from springlet.tracing.spans import Span


@runtime_checkable
class TraceSink(Protocol):
    """Receives spans, already redacted, on the tracer's background thread.

    `write` gets a batch of spans in the order they finished. A run's root span (kind
    "agent", `span_id == run_id`) arrives twice: open (`end_ns is None`, status
    "running") when the run starts, then finished; every other span arrives once,
    finished. Key by `span_id`. An exception from a sink is reported once and never
    reaches the run. `close` is called when the tracer closes.
    """

    def write(self, spans: Sequence[Span]) -> None: ...

    def close(self) -> None: ...


class MemorySink:
    """Keeps every span in memory (tests, notebooks); open roots are replaced when they finish."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._spans: dict[str, Span] = {}

    def write(self, spans: Sequence[Span]) -> None:
        with self._lock:
            for span in spans:
                self._spans[span.span_id] = span

    def close(self) -> None:
        pass

    def spans(self, trace_id: str | None = None) -> list[Span]:
        with self._lock:
            found = [s for s in self._spans.values() if trace_id in (None, s.trace_id)]
        return sorted(found, key=lambda s: (s.start_ns, s.seq))
