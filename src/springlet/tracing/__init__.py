"""Tracing: every run recorded as a span tree, stored in SQLite, exported as JSON,
fine-tuning JSONL and OTLP.

Wiring it into a runtime (one place)::

    from springlet.tracing import Tracer
    # or Tracer(sinks=[...]) / Tracer.disabled()
    tracer = Tracer.for_workspace(data_dir, settings.tracing)
    with tracer.run(agent="helpdesk", model="embedded:smollm2", session_id=sid,
                    input=question) as run:
        result = graph.invoke(state, config={"callbacks": run.callbacks})
        run.finish(output=answer, status="ok")  # or "error" | "cancelled" | "step_limit", error=...
    run.run_id                                   # put it in the RunResult

`async with tracer.run(...)` works the same. Leaving the block without `finish` records
"ok", or "error"/"cancelled" when an exception (CancelledError, GeneratorExit,
KeyboardInterrupt) left it; spans still open then are kept, marked the same way. A run
opened while a traced tool runs (an agent used as a tool) joins the caller's trace below
that tool span. Spans are redacted and written on a background thread; `tracer.flush()`
waits for them. Library users add sinks implementing `TraceSink` (`write(spans)`,
`close()`). A retrieval that is not a LangChain retriever is recorded with
`record_retrieval(collection, query, sources)` from inside the run (a tool, an advisor).

Span attributes follow the OpenTelemetry GenAI conventions (`springlet.tracing.spans`).
This package imports langchain only when a run's callback handler is first needed.
"""

from __future__ import annotations

from springlet.tracing.pipeline import TracingWriteWarning
from springlet.tracing.redaction import REDACTED, Redactor
from springlet.tracing.retrieval import record_retrieval
from springlet.tracing.sinks import MemorySink, TraceSink
from springlet.tracing.spans import Span, SpanKind, SpanStatus
from springlet.tracing.store import STORE_FILE, RunSummary, TraceStore
from springlet.tracing.tracer import RunScope, Tracer

__all__ = [
    "REDACTED",
    "STORE_FILE",
    "MemorySink",
    "Redactor",
    "RunScope",
    "RunSummary",
    "Span",
    "SpanKind",
    "SpanStatus",
    "TraceSink",
    "TraceStore",
    "Tracer",
    "TracingWriteWarning",
    "record_retrieval",
]
