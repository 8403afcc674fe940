"""This tree against an earlier commit, in the same run: CLI cold start and per-run agent
overhead, each measured in fresh processes, alternating (base, head, base, head, ...).

For every round the head/base ratio of that round's pair is taken; the report is the
median ratio with its min-max over the rounds, and says when the spread is wider than
the effect. The base commit is checked out into a temporary git worktree and imported
from there (same venv, same packages); only springlet's own code differs.

    .venv/bin/python bench/against_commit.py [--base 61026d3] [--rounds 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

AGENT_RUNS = """
import sys, tempfile, time
from pathlib import Path
from springlet import load_workspace
from springlet.testing import Reply, ToolCall, register_script

def turn(messages, tools):
    if messages and messages[-1].type == "tool":
        return Reply("Your order: " + str(messages[-1].content))
    return ToolCall("get_order_status", {"order_id": "A-1001"})

register_script("bench", turn)
root = Path(tempfile.mkdtemp())
(root / "agents").mkdir(); (root / "tools").mkdir()
(root / "tools" / "shop.py").write_text('''
from springlet import tool

@tool
def get_order_status(order_id: str) -> str:
    \\"\\"\\"Look up an order.\\"\\"\\"
    return f"Order {order_id} is shipped."
''')
(root / "agents" / "orders.yaml").write_text(
    "name: orders\\ndescription: Orders.\\nmodel: scripted:bench\\n"
    "instructions: You help.\\ntools: [get_order_status]\\n")
agent = load_workspace(root, tracing=sys.argv[1] == "on").agent("orders")
for _ in range(20):
    agent.run("Where is A-1001?")
start = time.perf_counter()
for _ in range(int(sys.argv[2])):
    assert agent.run("Where is A-1001?").status == "ok"
print((time.perf_counter() - start) / int(sys.argv[2]) * 1e6)
"""


def timed(argv: list[str], src: Path) -> float:
    """Wall seconds of one fresh process importing springlet from `src`."""
    env = {**os.environ, "PYTHONPATH": str(src), "OLLAMA_HOST": "http://127.0.0.1:9"}
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, env=env)
    return time.perf_counter() - start


def per_run_us(src: Path, tracing: str, runs: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(src), "SPRINGLET_TOOL_VETTING": "0"}
    done = subprocess.run(
        [sys.executable, "-c", AGENT_RUNS, tracing, str(runs)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    return float(done.stdout.strip().splitlines()[-1])


def report(name: str, pairs: list[tuple[float, float]], unit: str) -> None:
    ratios = [head / base for base, head in pairs]
    median = statistics.median(ratios)
    base_median = statistics.median(b for b, _ in pairs)
    head_median = statistics.median(h for _, h in pairs)
    spread = max(ratios) - min(ratios)
    effect = abs(median - 1)
    note = "  (spread wider than the effect)" if spread > effect else ""
    print(
        f"{name:<34} base {base_median:9.1f} {unit}  head {head_median:9.1f} {unit}  "
        f"head/base {median:.3f} ({min(ratios):.3f}-{max(ratios):.3f}){note}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", default="61026d3")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--agent-runs", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "add", "--detach", str(base), args.base],
            check=True,
            capture_output=True,
        )
        try:
            trees = {"base": base / "src", "head": REPO / "src"}
            # the base commit's example, which both trees can read (a newer one may use
            # what the base does not know)
            example = base / "examples" / "acme"
            cli = [sys.executable, "-m", "springlet"]
            measures = {
                "springlet --help (ms)": lambda src: timed([*cli, "--help"], src) * 1000,
                "springlet validate acme (ms)": lambda src: (
                    timed([*cli, "validate", "-w", str(example)], src) * 1000
                ),
                "agent run, tracing off (us)": lambda src: per_run_us(src, "off", args.agent_runs),
                "agent run, tracing on (us)": lambda src: per_run_us(src, "on", args.agent_runs),
            }
            print(f"base {args.base} vs head, {args.rounds} rounds, interleaved")
            for name, measure in measures.items():
                pairs = []
                for _ in range(args.rounds):
                    first = measure(trees["base"])
                    second = measure(trees["head"])
                    pairs.append((first, second))
                report(name.rsplit(" (", 1)[0], pairs, name.rsplit("(", 1)[1].rstrip(")"))
        finally:
            subprocess.run(
                ["git", "-C", str(REPO), "worktree", "remove", "--force", str(base)],
                check=False,
                capture_output=True,
            )


if __name__ == "__main__":
    main()
