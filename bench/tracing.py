"""Tracing cost in one run: agent throughput with tracing on vs off, then the write
cost per span.

Agent: a plain `create_agent` on the scripted model, two model steps and one tool call
per run (the shape of a typical short agent answer), run in rounds that alternate
  off  - no callbacks at all (what `Tracer.disabled()` gives the runtime)
  on   - `Tracer([TraceStore])`: the callback recorder on the agent's thread, spans
         redacted and written to SQLite (WAL) on the background writer thread
so that both see the same machine load; the ratio is of medians. Aim: overhead <= 3 %.
Writes: spans through the store as the writer batches them, per span (off the hot
path), and the hot-path cost of handing one span to the writer.

    .venv/bin/python bench/tracing.py [--runs 200] [--rounds 7]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from langchain.agents import create_agent
from langchain_core.messages import BaseMessage
from langchain_core.tools import tool

from springlet.testing import Reply, ScriptedChatModel, ToolCall
from springlet.tracing import Tracer, TraceStore
from springlet.tracing.spans import Span, SpanKind, SpanStatus, new_id


@tool
def get_order_status(order_id: str) -> str:
    """Status of an order by id."""
    return f"order {order_id} has shipped"


def respond(messages: list[BaseMessage], tools: list[dict[str, Any]]) -> Any:
    if messages[-1].type == "tool":
        return Reply("Order A-1001 has shipped and arrives tomorrow.")
    return ToolCall("get_order_status", {"order_id": "A-1001"})


AGENT = create_agent(ScriptedChatModel(respond=respond), [get_order_status])
QUESTION: Any = {"messages": [("user", "Where is my order A-1001?")]}


def runs_per_second(tracer: Tracer | None, runs: int) -> float:
    start = time.perf_counter()
    for _ in range(runs):
        if tracer is None:
            AGENT.invoke(QUESTION)
            continue
        with tracer.run(agent="bench", model="scripted:bench", input="q") as run:
            AGENT.invoke(QUESTION, {"callbacks": run.callbacks})
            run.finish(output="done")
    elapsed = time.perf_counter() - start
    if tracer is not None:
        tracer.flush(60)  # the writer keeps up: flushing adds no hidden backlog
    return runs / elapsed


def throughput(data_dir: Path, runs: int, rounds: int) -> None:
    tracer = Tracer([TraceStore(data_dir / "traces.sqlite")])
    runs_per_second(tracer, 20)  # warm up both paths
    runs_per_second(None, 20)
    off, on = [], []
    for _ in range(rounds):
        off.append(runs_per_second(None, runs))
        on.append(runs_per_second(tracer, runs))
    base, traced = statistics.median(off), statistics.median(on)
    print(f"agent runs/s  tracing off: {base:8.1f}   on: {traced:8.1f}")
    print(
        f"tracing overhead: {(base / traced - 1) * 100:+.1f} % (median of {rounds} rounds "
        f"x {runs} runs; 4 spans per run; aim <= 3 %)"
    )
    tracer.close()


def sample_span(run_id: str, seq: int) -> Span:
    return Span(
        span_id=new_id()[:16],
        trace_id=run_id,
        run_id=run_id,
        parent_id=run_id,
        kind=SpanKind.MODEL,
        name="chat scripted:bench",
        start_ns=time.time_ns(),
        end_ns=time.time_ns() + 1000,
        status=SpanStatus.OK,
        seq=seq,
        attributes={
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "scripted:bench",
            "gen_ai.usage.input_tokens": 42,
            "gen_ai.usage.output_tokens": 12,
            "gen_ai.input.messages": [{"role": "user", "content": "Where is my order?" * 4}],
            "gen_ai.output.messages": [{"role": "assistant", "content": "It shipped." * 4}],
        },
    )


def write_cost(data_dir: Path, spans: int) -> None:
    store = TraceStore(data_dir / "writes.sqlite")
    batch = [sample_span(new_id(), i) for i in range(spans)]
    start = time.perf_counter()
    for i in range(0, spans, 100):  # the writer drains up to 1000; 100 is a busy-ish batch
        store.write(batch[i : i + 100])
    stored = (time.perf_counter() - start) / spans
    tracer = Tracer([store])
    start = time.perf_counter()
    for span in batch:
        tracer.submit(span)
    handed = (time.perf_counter() - start) / spans
    tracer.flush(60)
    tracer.close()
    print(
        f"write cost per span: {stored * 1e6:6.1f} us on the writer thread "
        f"(redaction excluded), {handed * 1e6:5.2f} us on the agent's path"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--spans", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        throughput(Path(tmp), args.runs, args.rounds)
        write_cost(Path(tmp), args.spans)


if __name__ == "__main__":
    main()
