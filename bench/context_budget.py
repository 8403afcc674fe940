"""What the context budget costs: counting every request's tokens, and compacting one.

Agents run over the real Ollama client path against the project's Ollama-protocol test
server (a scripted model that answers instantly, so the numbers are springlet's own
work, not a model's). Each pair of agents differs only in `compaction:`; rounds
alternate them (A B A B ...) so both see the same machine load; the ratio of each round
is B / A, reported as the median with min-max.

  counting    A: `compaction: false`       B: the default (count each request with the
              model's tokenizer; nothing to compact). Three model calls per run (two
              tool steps, one answer). Also: microseconds per model call.
  compaction  A: `compaction: false`       B: `max_context_tokens` set so that every
              model call of the run stubs old tool results (tier 1). Five model calls
              per run, each with the results of the calls before it.
  embedded    counting one request with llama.cpp's tokenizer (SmolLM2, the chat
              template rendered and tokenized) next to one model call of 16 tokens.

    .venv/bin/python bench/context_budget.py [--rounds 10] [--runs 20] [--no-embedded]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from springlet import Workspace, load_workspace
from springlet.testing import OllamaTestServer, Reply, ScriptedChatModel, ToolCall

TOOLS = '''
from springlet import tool


@tool
def report(part: int) -> str:
    """Part `part` of the quarterly report."""
    return f"Part {part}: " + "revenue grew in every region. " * 60
'''
AGENT = """name: {name}
description: Reads reports.
model: ollama:qwen2.5:7b
instructions: You read the quarterly report part by part and summarize it.
tools: [report]
limits: {{max_steps: 12, max_repeated_calls: 12}}
compaction: {compaction}
"""


def steps_model(tool_steps: int) -> Callable[[list[Any], Any], Reply | ToolCall]:
    def respond(messages: list[Any], tools: Any) -> Reply | ToolCall:
        done = sum(1 for m in messages if m.type == "tool")
        if done < tool_steps:
            return ToolCall("report", {"part": done + 1})
        return Reply("Revenue grew everywhere.")

    return respond


def workspace(root: Path, host: str, agents: dict[str, str]) -> Workspace:
    (root / "agents").mkdir(parents=True)
    (root / "tools").mkdir()
    (root / "tools" / "report.py").write_text(TOOLS)
    (root / "springlet.yaml").write_text(f"ollama:\n  host: {host}\n")
    for name, compaction in agents.items():
        (root / "agents" / f"{name}.yaml").write_text(
            AGENT.format(name=name, compaction=compaction)
        )
    return load_workspace(root, tracing=False)


CLOCK = time.perf_counter


def seconds_per_run(run: Callable[[], Any], runs: int) -> float:
    start = CLOCK()
    for _ in range(runs):
        run()
    return (CLOCK() - start) / runs


def paired(a: Callable[[], Any], b: Callable[[], Any], rounds: int, runs: int) -> dict[str, Any]:
    """Interleaved A B rounds: per-run seconds of each, and the B / A ratio per round."""
    a(), b()  # warm up: imports, /api/show, the calibration of the token estimate
    times_a, times_b, ratios, extra = [], [], [], []
    for _ in range(rounds):
        ta = seconds_per_run(a, runs)
        tb = seconds_per_run(b, runs)
        times_a.append(ta)
        times_b.append(tb)
        ratios.append(tb / ta)
        extra.append(tb - ta)
    return {
        "a": statistics.median(times_a),
        "b": statistics.median(times_b),
        "ratios": ratios,
        "extra": extra,
    }


def show(title: str, result: dict[str, Any], calls: int) -> None:
    ratios = result["ratios"]
    extra_us = statistics.median(result["extra"]) / calls * 1e6  # of the paired differences
    print(
        f"{title}: A {result['a'] * 1e3:.2f} ms/run, B {result['b'] * 1e3:.2f} ms/run; "
        f"B/A median {statistics.median(ratios):.3f} (min {min(ratios):.3f}, "
        f"max {max(ratios):.3f}) over {len(ratios)} rounds; "
        f"median paired difference {extra_us:+.0f} us per model call"
    )


def bench_agents(rounds: int, runs: int) -> None:
    agents = {
        "plain": "false",
        "counted": "{}",
        "compacting": "{max_context_tokens: 900, summarize: false}",
    }
    with tempfile.TemporaryDirectory() as tmp, OllamaTestServer() as server:
        server.backend = ScriptedChatModel(respond=steps_model(2))
        ws = workspace(Path(tmp), server.url, agents)
        with ws:
            plain, counted = ws.agent("plain"), ws.agent("counted")
            result = paired(
                lambda: plain.run("Read it."), lambda: counted.run("Read it."), rounds, runs
            )
            show("counting   (3 model calls/run)", result, calls=3)
            server.backend = ScriptedChatModel(respond=steps_model(4))
            compacting = ws.agent("compacting")
            check = list(compacting.stream("Read it."))
            compactions = [e for e in check if e.kind == "context_compacted"]
            assert compactions, "the compacting agent never compacted: lower max_context_tokens"
            result = paired(
                lambda: plain.run("Read it."), lambda: compacting.run("Read it."), rounds, runs
            )
            show(f"compaction (5 model calls/run, {len(compactions)} compacted)", result, calls=5)


def bench_embedded(rounds: int) -> None:
    from langchain_core.messages import HumanMessage, SystemMessage

    from springlet.models.embedded import embedded_chat_model
    from springlet.models.options import ModelOptions
    from springlet.models.token_budget import count_tokens

    model = embedded_chat_model("smollm2", ModelOptions(temperature=0, num_predict=16))
    messages = [
        SystemMessage("You answer questions about ACME orders in one sentence."),
        HumanMessage("Where is my order A-1001? " + "It was ordered last week. " * 20),
    ]
    model.invoke(messages)  # load the weights
    counts, calls = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        tokens = count_tokens(model, messages)
        counts.append(time.perf_counter() - start)
        start = time.perf_counter()
        model.invoke(messages)
        calls.append(time.perf_counter() - start)
    ratios = [c / m for c, m in zip(counts, calls, strict=True)]
    print(
        f"embedded   counting {tokens} tokens: {statistics.median(counts) * 1e3:.2f} ms; "
        f"a 16-token model call {statistics.median(calls) * 1e3:.0f} ms; count/call median "
        f"{statistics.median(ratios):.4f} (min {min(ratios):.4f}, max {max(ratios):.4f}) "
        f"over {rounds} rounds"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--no-embedded", action="store_true")
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="time with this process's CPU time (client, server threads and all): steadier "
        "than wall time on a machine other work shares",
    )
    args = parser.parse_args()
    global CLOCK
    CLOCK = time.process_time if args.cpu else time.perf_counter
    print(f"clock: {'process CPU time' if args.cpu else 'wall time'}")
    bench_agents(args.rounds, args.runs)
    if not args.no_embedded:
        bench_embedded(args.rounds)


if __name__ == "__main__":
    main()
