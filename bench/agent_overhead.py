"""Per-run overhead of a springlet agent, next to baselines measured in the same run.

One run = two model steps and one tool call (the model asks for `get_order_status`, then
answers). Every agent is built once and reused; only runs are timed.

- plain `langchain.agents.create_agent` with the same scripted model and tool (baseline)
- springlet `ws.agent(...).run(...)` on that model (tracing off, then on)
- Pydantic AI's `Agent.run_sync` on an equivalent `FunctionModel` (needs
  `pip install pydantic-ai-slim`; skipped when it is missing)

Aim: springlet <= 1.3x plain create_agent, and faster than Pydantic AI.

    .venv/bin/python bench/agent_overhead.py [--runs 200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from springlet.testing import Reply, ToolCall, register_script

QUESTION = "Where is order A-1001?"
TOOLS_PY = '''
from springlet import tool


@tool
def get_order_status(order_id: str) -> str:
    """Look up the shipping status of an order by its id."""
    return f"Order {order_id} is shipped."
'''


def scripted_turn(messages: list[Any], tools: Any) -> Reply | ToolCall:
    """Call the tool first, answer once its result is in (stateless: safe to reuse)."""
    if messages and messages[-1].type == "tool":
        return Reply(f"Your order: {messages[-1].content}")
    return ToolCall("get_order_status", {"order_id": "A-1001"})


def median_ms(run: Callable[[], Any], runs: int) -> float:
    for _ in range(max(5, runs // 20)):  # warm caches, lazy imports, the runtime loop
        run()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def plain_create_agent() -> Callable[[], Any]:
    from langchain.agents import create_agent
    from langchain_core.tools import tool

    from springlet.testing import ScriptedChatModel

    @tool
    def get_order_status(order_id: str) -> str:
        """Look up the shipping status of an order by its id."""
        return f"Order {order_id} is shipped."

    graph = create_agent(
        ScriptedChatModel(respond=scripted_turn),
        tools=[get_order_status],
        system_prompt="You help.",
    )
    inputs = {"messages": [{"role": "user", "content": QUESTION}]}
    return lambda: graph.invoke(inputs)


def plain_create_agent_async() -> Callable[[], Any]:
    """The async path (what springlet runs on), driven from one event loop."""
    from langchain.agents import create_agent
    from langchain_core.tools import tool

    from springlet.testing import ScriptedChatModel

    @tool
    def get_order_status(order_id: str) -> str:
        """Look up the shipping status of an order by its id."""
        return f"Order {order_id} is shipped."

    graph = create_agent(
        ScriptedChatModel(respond=scripted_turn),
        tools=[get_order_status],
        system_prompt="You help.",
    )
    loop = asyncio.new_event_loop()
    inputs = {"messages": [{"role": "user", "content": QUESTION}]}
    return lambda: loop.run_until_complete(graph.ainvoke(inputs))


def springlet_agent(root: Path, *, tracing: bool) -> Callable[[], Any]:
    from springlet import load_workspace

    ws = load_workspace(root, tracing=tracing)
    agent = ws.agent("orders")

    def run() -> Any:
        result = agent.run(QUESTION)
        assert result.status == "ok", result.error
        return result

    return run


def pydantic_ai_agent() -> Callable[[], Any] | None:
    try:
        from pydantic_ai import Agent
        from pydantic_ai.messages import ModelResponse, TextPart, ToolCallPart, ToolReturnPart
        from pydantic_ai.models.function import AgentInfo, FunctionModel
    except ImportError:
        return None

    def respond(messages: list[Any], info: AgentInfo) -> ModelResponse:
        last = messages[-1].parts[-1]
        if isinstance(last, ToolReturnPart):
            return ModelResponse(parts=[TextPart(f"Your order: {last.content}")])
        return ModelResponse(parts=[ToolCallPart("get_order_status", {"order_id": "A-1001"})])

    agent = Agent(FunctionModel(respond), instructions="You help.")

    @agent.tool_plain
    def get_order_status(order_id: str) -> str:
        """Look up the shipping status of an order by its id."""
        return f"Order {order_id} is shipped."

    return lambda: agent.run_sync(QUESTION)


def write_workspace(root: Path) -> None:
    register_script("bench-overhead", scripted_turn)
    (root / "agents").mkdir()
    (root / "tools").mkdir()
    (root / "tools" / "shop.py").write_text(TOOLS_PY)
    (root / "agents" / "orders.yaml").write_text(
        "name: orders\ndescription: Order questions.\nmodel: scripted:bench-overhead\n"
        "instructions: You help.\ntools: [get_order_status]\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_workspace(root)
        candidates: dict[str, Callable[[], Any]] = {
            "plain create_agent (invoke)": plain_create_agent(),
            "plain create_agent (ainvoke)": plain_create_agent_async(),
            "springlet agent.run (tracing off)": springlet_agent(root, tracing=False),
            "springlet agent.run (tracing on)": springlet_agent(root, tracing=True),
        }
        pydantic = pydantic_ai_agent()
        if pydantic is not None:
            candidates["Pydantic AI run_sync (FunctionModel)"] = pydantic
        else:
            print("(Pydantic AI: not installed; pip install pydantic-ai-slim)")
        # rounds interleave the candidates, and the best round counts: on a shared
        # machine, load from other processes only ever makes a round slower
        best = {name: float("inf") for name in candidates}
        for _ in range(args.rounds):
            for name, run in candidates.items():
                best[name] = min(best[name], median_ms(run, args.runs))
    baseline = best["plain create_agent (invoke)"]
    print(
        f"median per run, best of {args.rounds} rounds of {args.runs} "
        "(2 model steps + 1 tool call):"
    )
    for name, ms in best.items():
        print(f"  {name:40s} {ms:7.2f} ms   {ms / baseline:5.2f}x plain create_agent")


if __name__ == "__main__":
    main()
