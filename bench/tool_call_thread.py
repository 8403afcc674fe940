"""What running each sync tool call in its own daemon thread costs, next to asyncio's
default executor (what LangChain used, whose threads keep the process alive when a
timed-out tool never returns).

Interleaved rounds (executor, daemon thread, executor, ...) of N calls of a trivial tool;
printed: median and min-max microseconds per call, and the paired ratio.

    .venv/bin/python bench/tool_call_thread.py [--rounds 10] [--calls 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from springlet.tools.calling import in_daemon_thread


def tool(x: str) -> str:
    return x


async def per_call_us(calls: int, daemon: bool) -> float:
    loop = asyncio.get_running_loop()
    threaded = in_daemon_thread(tool, "bench")
    start = time.perf_counter()
    for _ in range(calls):
        if daemon:
            await threaded("x")
        else:
            await loop.run_in_executor(None, tool, "x")
    return (time.perf_counter() - start) / calls * 1e6


async def main_async(rounds: int, calls: int) -> None:
    times: dict[str, list[float]] = {"default executor": [], "daemon thread": []}
    for _ in range(rounds):
        times["default executor"].append(await per_call_us(calls, daemon=False))
        times["daemon thread"].append(await per_call_us(calls, daemon=True))
    for name, values in times.items():
        print(
            f"{name:17} {statistics.median(values):7.1f} us ({min(values):.1f}-{max(values):.1f})"
        )
    ratios = [d / e for e, d in zip(times["default executor"], times["daemon thread"], strict=True)]
    print(
        f"daemon / executor: {statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    asyncio.run(main_async(args.rounds, args.calls))


if __name__ == "__main__":
    main()
