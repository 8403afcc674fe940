"""Runs with fixed ids, times and contents written to a workspace's trace store, for
snapshots and for opening a 10,000-span run."""

from __future__ import annotations

import json
from pathlib import Path

from springlet.tracing.spans import Span, SpanKind, SpanStatus
from springlet.tracing.store import STORE_FILE, TraceStore

T0 = 1_795_944_600_000_000_000  # 2026-11-24 09:30:00 UTC
MS = 1_000_000
RUN = "0190aaaa0000000000000000000000a1"
FAILED_RUN = "0190aaaa0000000000000000000000a0"


def _span(span_id: str, run: str, parent: str | None, kind: SpanKind, name: str,
          start_ms: int, end_ms: int | None, seq: int, status: SpanStatus = SpanStatus.OK,
          error: str | None = None, **attributes: object) -> Span:  # fmt: skip
    return Span(
        span_id=span_id, trace_id=run, run_id=run, parent_id=parent, kind=kind, name=name,
        start_ns=T0 + start_ms * MS, end_ns=None if end_ms is None else T0 + end_ms * MS,
        status=status, error=error, attributes=dict(attributes), seq=seq,
    )  # fmt: skip


def order_run() -> list[Span]:
    """A run with a retrieval, two model calls and a tool call."""
    messages = [{"role": "user", "content": "Where is order A-1001?"}]
    return [
        _span(
            "r1",
            RUN,
            None,
            SpanKind.RETRIEVAL,
            "retrieve manual",
            5,
            40,
            1,
            **{
                "springlet.retrieval.query": "order A-1001",
                "springlet.retrieval.sources": json.dumps(
                    [
                        {
                            "path": "knowledge/manual/orders.md",
                            "heading": "Shipping",
                            "score": 0.82,
                        },
                        {
                            "path": "knowledge/manual/returns.md",
                            "heading": "Refunds",
                            "score": 0.41,
                        },
                    ]
                ),
            },
        ),
        _span(
            "m1",
            RUN,
            RUN,
            SpanKind.MODEL,
            "chat qwen2.5:7b",
            45,
            610,
            2,
            **{
                "gen_ai.request.model": "qwen2.5:7b",
                "gen_ai.request.temperature": 0.2,
                "gen_ai.usage.input_tokens": 412,
                "gen_ai.usage.output_tokens": 18,
                "springlet.time_to_first_token_ms": 210.0,
                "springlet.tokens_per_second": 45.5,
                "gen_ai.input.messages": json.dumps(messages),
            },
        ),
        _span(
            "t1",
            RUN,
            RUN,
            SpanKind.TOOL,
            "get_order_status",
            612,
            650,
            3,
            **{
                "gen_ai.tool.name": "get_order_status",
                "gen_ai.tool.call.arguments": json.dumps({"order_id": "A-1001"}),
                "gen_ai.tool.call.result": "Order A-1001 is shipped.",
            },
        ),
        _span(
            "m2",
            RUN,
            RUN,
            SpanKind.MODEL,
            "chat qwen2.5:7b",
            652,
            1240,
            4,
            **{
                "gen_ai.request.model": "qwen2.5:7b",
                "gen_ai.usage.input_tokens": 460,
                "gen_ai.usage.output_tokens": 31,
                "springlet.time_to_first_token_ms": 190.0,
            },
        ),
        _span(
            RUN,
            RUN,
            None,
            SpanKind.AGENT,
            "invoke_agent orders",
            0,
            1250,
            0,
            **{
                "gen_ai.agent.name": "orders",
                "springlet.run.input": "Where is order A-1001?",
                "springlet.run.output": "It has shipped.",
                "gen_ai.usage.input_tokens": 872,
                "gen_ai.usage.output_tokens": 49,
            },
        ),
    ]


def failed_run() -> list[Span]:
    """A run whose tool raised (with the OTel exception attributes)."""
    trace = (
        "Traceback (most recent call last):\n"
        '  File "tools/orders.py", line 9\n'
        "KeyError: 'no order B-7'\n"
    )
    return [
        _span("t9", FAILED_RUN, FAILED_RUN, SpanKind.TOOL, "get_order_status", -58_000,
              -57_990, 1, SpanStatus.ERROR, "KeyError: 'no order B-7'", **{
                  "exception.type": "builtins.KeyError",
                  "exception.message": "'no order B-7'", "exception.stacktrace": trace,
                  "gen_ai.tool.call.arguments": json.dumps({"order_id": "B-7"}),
              }),
        _span(FAILED_RUN, FAILED_RUN, None, SpanKind.AGENT, "invoke_agent orders", -60_000,
              -57_000, 0, SpanStatus.ERROR, "the tool failed", **{
                  "gen_ai.agent.name": "orders", "springlet.run.input": "and B-7?",
              }),
    ]  # fmt: skip


def wide_run(run_id: str, spans: int) -> list[Span]:
    """A run of `spans` spans: model and tool calls below the root, some nested."""
    found: list[Span] = []
    for i in range(spans - 1):
        parent = run_id if i % 10 == 0 else f"s{i - i % 10:05d}"
        kind = SpanKind.MODEL if i % 10 == 0 else SpanKind.TOOL
        found.append(_span(f"s{i:05d}", run_id, parent, kind, f"step {i}", i, i + 1, i + 1,
                           **{"gen_ai.usage.input_tokens": 10}))  # fmt: skip
    found.append(_span(run_id, run_id, None, SpanKind.AGENT, "invoke_agent wide", 0, spans,
                       0, **{"gen_ai.agent.name": "wide"}))  # fmt: skip
    return found


def write_runs(data_dir: Path, *runs: list[Span]) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    store = TraceStore(data_dir / STORE_FILE)
    try:
        for spans in runs:
            store.write(spans)
    finally:
        store.close()
