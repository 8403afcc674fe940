"""Tracing cost in one run: agent throughput with tracing on vs off, then the write
cost per span.

The agent is a springlet agent (`ws.agent("orders").run(...)`: one question, one tool
call, two model steps), loaded twice from the same workspace: `tracing=False` (no
callbacks at all) and `tracing=True` (spans recorded on the agent's path, settled,
redacted and written to SQLite in WAL mode on the tracer's writer thread). Rounds
alternate the two so both see the same machine load; ratios are of medians.

Two models answer it:
  embedded  - the default model, SmolLM2-135M on llama.cpp, temperature 0 (the same
              tokens every run). Agent throughput as users see it. Aim: <= 3 %.
  scripted  - a model that answers instantly. Not an agent anyone runs: it shows the
              framework's own cost, so the difference is all of tracing's CPU time,
              including the writer thread's (it shares the GIL and there is no model
              wait for it to hide in). Reported in microseconds per run.

Writes: spans through the store as the writer batches them, per span (off the agent's
path), the cost of handing one span to the writer, and the cost per run written once the
store is full (retention pruning on every write; this grew with the store until the
pruning and token queries got their indexes).

    .venv/bin/python bench/tracing.py [--runs 200] [--rounds 7] [--model-runs 4]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from springlet.testing import Reply, ToolCall, register_script
from springlet.tracing import Tracer, TraceStore
from springlet.tracing.spans import Span, SpanKind, SpanStatus, new_id, new_span_id

QUESTION = "Where is my order A-1001?"
TOOLS = '''
from springlet import tool


@tool
def get_order_status(order_id: str) -> str:
    """Look up the shipping status of an order by its id, like 'A-1001'."""
    return f"Order {order_id} is shipped with DHL; expected 2026-11-25."
'''
AGENT = """
name: orders
description: Tells customers where their orders are.
model: {model}
instructions: |
  You answer questions about ACME orders. Use get_order_status to look an order up,
  then tell the customer its status in one sentence.
tools: [get_order_status]
options: {{temperature: 0, seed: 0, num_predict: 48}}
"""


def instant_model(messages: list[Any], tools: Any) -> Reply | ToolCall:
    if messages and messages[-1].type == "tool":
        return Reply(f"Your order: {messages[-1].content}")
    return ToolCall("get_order_status", {"order_id": "A-1001"})


def workspace(root: Path, model: str) -> Path:
    (root / "agents").mkdir(parents=True)
    (root / "tools").mkdir()
    (root / "tools" / "orders.py").write_text(TOOLS)
    (root / "agents" / "orders.yaml").write_text(AGENT.format(model=model))
    return root


def seconds_per_run(run: Callable[[], Any], runs: int) -> float:
    start = time.perf_counter()
    for _ in range(runs):
        run()
    return (time.perf_counter() - start) / runs


def on_vs_off(root: Path, runs: int, rounds: int) -> tuple[float, float, int]:
    """Median seconds per run with tracing off and on, and the spans stored per run."""
    from springlet import load_workspace

    agents = {}
    for tracing in (False, True):
        agent = load_workspace(root, tracing=tracing).agent("orders")
        result = agent.run(QUESTION)
        assert result.status == "ok" and result.tool_calls, (result.status, result.error)
        agents[tracing] = agent
    samples: dict[bool, list[float]] = {False: [], True: []}
    for _ in range(rounds):
        for tracing, agent in agents.items():
            samples[tracing].append(seconds_per_run(lambda a=agent: a.run(QUESTION), runs))
    tracer = Tracer.for_workspace(root / ".springlet")
    tracer.flush(60)  # the writer kept up: nothing was left queued for later
    store = tracer.store
    assert store is not None
    last = store.list_runs(limit=1)[0]
    return (
        statistics.median(samples[False]),
        statistics.median(samples[True]),
        len(store.spans(last.run_id)),
    )


def throughput(tmp: Path, runs: int, rounds: int, model_runs: int) -> None:
    register_script("bench-tracing", instant_model)
    cases = {
        "embedded:smollm2": (model_runs, max(3, rounds // 2)),
        "scripted (instant)": (runs, rounds),
    }
    roots = {
        "embedded:smollm2": workspace(tmp / "embedded", "embedded:smollm2"),
        "scripted (instant)": workspace(tmp / "scripted", "scripted:bench-tracing"),
    }
    print("agent throughput, tracing off vs on (orders agent: 2 model steps, 1 tool call)")
    measured = {}
    for name, (n, r) in cases.items():
        off, on, spans = on_vs_off(roots[name], n, r)
        measured[name] = (off, on)
        print(
            f"  {name:20s} off {1 / off:8.1f} runs/s   on {1 / on:8.1f} runs/s   "
            f"overhead {(on / off - 1) * 100:+5.1f} %  ({(on - off) * 1e6:+7.0f} us/run, "
            f"{spans} spans/run; median of {r} rounds x {n} runs)"
        )
    # the embedded runs are too few and too long for a per-mille difference to show
    # through their noise; the instant model measures tracing's cost per run exactly
    cost = measured["scripted (instant)"][1] - measured["scripted (instant)"][0]
    run = measured["embedded:smollm2"][0]
    print(
        f"  tracing's own cost ({cost * 1e6:.0f} us/run, the instant model's difference) "
        f"is {cost / run * 100:.2f} % of an embedded run ({run:.2f} s)"
    )
    print("  aim: overhead <= 3 % on the embedded model")


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


def run_spans() -> list[Span]:
    """One run as the writer sees it: three child spans, then the closed root."""
    run_id = new_id()
    now = time.time_ns()
    children = [replace(sample_span(run_id, i), span_id=new_span_id()) for i in range(3)]
    root = Span(
        span_id=run_id,
        trace_id=run_id,
        run_id=run_id,
        parent_id=None,
        kind=SpanKind.AGENT,
        name="invoke_agent orders",
        start_ns=now,
        end_ns=now + 5_000_000,
        status=SpanStatus.OK,
        attributes={"gen_ai.agent.name": "orders", "springlet.run.input": QUESTION},
    )
    return [*children, root]


def write_cost_at_retention(data_dir: Path, kept: int) -> None:
    """A store that is full: every write also prunes the oldest runs (retention)."""
    store = TraceStore(data_dir / "full.sqlite", retention_runs=kept)
    per_batch = 12  # runs per writer batch at ~250 runs/s with a 50 ms linger
    for _ in range(kept // per_batch + 1):
        store.write([span for _ in range(per_batch) for span in run_spans()])
    batches = [[s for _ in range(per_batch) for s in run_spans()] for _ in range(84)]
    cpu, wall = time.thread_time(), time.perf_counter()
    for batch in batches:
        store.write(batch)
    runs = len(batches) * per_batch
    print(
        f"store at its retention limit ({kept} runs kept): "
        f"{(time.thread_time() - cpu) / runs * 1e6:5.0f} us CPU, "
        f"{(time.perf_counter() - wall) / runs * 1e6:5.0f} us wall per run written "
        "(4 spans, pruning included)"
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
    parser.add_argument("--runs", type=int, default=200, help="runs per round, scripted")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--model-runs", type=int, default=4, help="runs per round, embedded")
    parser.add_argument("--spans", type=int, default=20_000)
    parser.add_argument("--kept", type=int, default=10_000, help="retention_runs of the store")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        throughput(Path(tmp), args.runs, args.rounds, args.model_runs)
        write_cost(Path(tmp), args.spans)
        write_cost_at_retention(Path(tmp), args.kept)


if __name__ == "__main__":
    main()
