"""Exports of stored runs: the stable JSON format and fine-tuning JSONL.

JSON format (`springlet.traces`, version 1)::

    {"format": "springlet.traces", "version": 1,
     "traces": [{"run": {run_id, trace_id, parent_run_id, agent, model, session_id,
                         status, error, start_ns, end_ns, duration_ms, input, output,
                         input_tokens, output_tokens},
                 "spans": [{span_id, trace_id, run_id, parent_id, kind, name, start_ns,
                            end_ns, duration_ms, status, error, attributes, seq}, ...]}]}

Spans are listed depth first from the run's root span (`span_id == run_id`), children
in start order; `kind` is agent | model | tool | retrieval | advisor; `status` is
running | ok | error | cancelled | step_limit; times are Unix nanoseconds; attribute
names follow the OpenTelemetry GenAI conventions. New keys may be added in version 1;
existing ones keep their meaning.

Fine-tuning JSONL: one line per successful run, `{"prompt": ..., "response": ...}`
(the user's input and the final answer), or with `messages=True` the chat form
`{"messages": [{"role": "system"|"user"|"assistant"|"tool", "content": ...}, ...]}`
taken from the run's last model call plus its answer.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from springlet.errors import SpringletError
from springlet.tracing import spans as a
from springlet.tracing.spans import Span, SpanKind, SpanStatus
from springlet.tracing.store import RunSummary, TraceStore

JSON_FORMAT = "springlet.traces"
JSON_VERSION = 1


class TraceNotFoundError(SpringletError):
    """A run id that is not in the trace store."""


def load_traces(store: TraceStore, run_ids: Iterable[str]) -> list[tuple[RunSummary, list[Span]]]:
    found = []
    for run_id in run_ids:
        run = store.get_run(run_id)
        if run is None:
            raise TraceNotFoundError(
                f"no run {run_id!r} in {store.path}; list runs with `springlet traces list`"
            )
        found.append((run, store.spans(run.run_id)))
    return found


def to_json_document(traces: Iterable[tuple[RunSummary, list[Span]]]) -> dict[str, Any]:
    return {
        "format": JSON_FORMAT,
        "version": JSON_VERSION,
        "traces": [
            {"run": run.to_dict(), "spans": [s.to_dict() for s in spans]} for run, spans in traces
        ],
    }


def finetune_records(
    traces: Iterable[tuple[RunSummary, list[Span]]], *, messages: bool = False
) -> Iterator[dict[str, Any]]:
    """Training examples from successful runs (others are skipped)."""
    for run, spans in traces:
        if run.status is not SpanStatus.OK:
            continue
        own_models = [s for s in spans if s.kind is SpanKind.MODEL and s.run_id == run.run_id]
        if messages:
            if own_models:
                yield {"messages": _conversation(own_models[-1])}
            continue
        prompt = run.input if run.input is not None else _last_user(own_models)
        response = run.output if run.output is not None else _answer(own_models)
        if prompt is not None and response is not None:
            yield {"prompt": _as_text(prompt), "response": _as_text(response)}


def _conversation(model_span: Span) -> list[dict[str, Any]]:
    sent = list(model_span.attributes.get(a.INPUT_MESSAGES) or [])
    answer = list(model_span.attributes.get(a.OUTPUT_MESSAGES) or [])
    return [*sent, *answer]


def _last_user(model_spans: list[Span]) -> str | None:
    if not model_spans:
        return None
    users = [
        m for m in model_spans[0].attributes.get(a.INPUT_MESSAGES) or [] if m.get("role") == "user"
    ]
    return str(users[-1]["content"]) if users else None


def _answer(model_spans: list[Span]) -> str | None:
    if not model_spans:
        return None
    out = model_spans[-1].attributes.get(a.OUTPUT_MESSAGES) or []
    return str(out[-1]["content"]) if out else None


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
