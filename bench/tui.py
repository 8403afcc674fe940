"""The terminal UI: time to first paint, keystroke latency while an answer streams, and
opening a 500-message session. Paired and interleaved (A B A B ...), median and min-max.

    .venv/bin/python bench/tui.py [--rounds 10]

- first paint: `springlet tui -w <acme copy>` started in tmux until its sidebar is on
  screen (no model is loaded for that), next to a
  minimal Textual app (one Static) started the same way: the ratio is springlet's cost
  over Textual's own floor. tmux is polled every 5 ms, so figures are +-5 ms.
- keystroke latency: a key pressed in the prompt until the prompt shows it (headless
  Pilot, one refresh), while an answer streams (a scripted model, 1 token / 2 ms) against
  the same with nothing running.
- 500-message session: made by 250 real runs of a scripted agent with the memory
  advisor (every third calls a tool), then opened from `ws.sessions`: open time (resume
  until the newest message is laid out) and the memory it adds (resident set growth),
  mounting the last 40 entries (what the app does) against mounting all 500.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "tui"))

from langchain_core.messages import ToolMessage  # noqa: E402
from langchain_core.outputs import ChatGenerationChunk  # noqa: E402
from textual import events  # noqa: E402

from conftest import echo, write_workspace  # noqa: E402
from springlet import load_workspace  # noqa: E402
from springlet.testing import Reply, ScriptedChatModel, ToolCall, register_script  # noqa: E402
from springlet.tui.app import SpringletApp  # noqa: E402
from springlet.tui.backend import Backend  # noqa: E402

MINIMAL_APP = (
    "from textual.app import App\nfrom textual.widgets import Static\n"
    "class A(App):\n    def compose(self):\n        yield Static('Agents')\nA().run()\n"
)


def summary(values: list[float], unit: str = "ms", scale: float = 1000.0) -> str:
    v = [x * scale for x in values]
    return f"{statistics.median(v):8.1f} {unit} ({min(v):.1f}-{max(v):.1f})"


def ratio_line(name: str, a: list[float], b: list[float]) -> str:
    ratios = [x / y for x, y in zip(a, b, strict=True)]
    return f"{name:44} ratio {statistics.median(ratios):5.2f} ({min(ratios):.2f}-{max(ratios):.2f})"


# -- first paint -------------------------------------------------------------------------


def paint_seconds(tmux: str, command: str, wanted: str) -> float:
    session = f"bench-{uuid.uuid4().hex[:8]}"
    start = time.perf_counter()
    subprocess.run(
        [tmux, "new-session", "-d", "-s", session, "-x", "100", "-y", "30", command], check=True
    )
    try:
        while True:
            out = subprocess.run(
                [tmux, "capture-pane", "-p", "-t", session], capture_output=True, text=True
            ).stdout
            if wanted in out:
                return time.perf_counter() - start
            if time.perf_counter() - start > 30:
                raise RuntimeError(f"{wanted!r} never painted:\n{out}")
            time.sleep(0.005)
    finally:
        subprocess.run([tmux, "kill-session", "-t", session], capture_output=True)


def bench_first_paint(rounds: int, workspace: Path) -> None:
    tmux = shutil.which("tmux")
    if tmux is None:
        print("first paint: skipped (no tmux)")
        return
    env = f"PYTHONPATH={REPO / 'src'}"
    springlet = f"{env} {sys.executable} -m springlet tui -w {workspace}"
    minimal_file = Path(tempfile.mkdtemp()) / "minimal_app.py"
    minimal_file.write_text(MINIMAL_APP)
    minimal = f"{sys.executable} {minimal_file}"
    a: list[float] = []
    b: list[float] = []
    # one idle session keeps the tmux server up between runs (else it exits, and the
    # next new-session races its shutdown)
    keeper = f"bench-keeper-{uuid.uuid4().hex[:8]}"
    subprocess.run([tmux, "new-session", "-d", "-s", keeper, "sleep 900"], check=True)
    try:
        for _ in range(rounds):
            a.append(paint_seconds(tmux, springlet, "Sessions"))
            b.append(paint_seconds(tmux, minimal, "Agents"))
    finally:
        subprocess.run([tmux, "kill-session", "-t", keeper], capture_output=True)
    print(f"{'first paint: springlet tui':44} {summary(a)}")
    print(f"{'first paint: minimal Textual app':44} {summary(b)}")
    print(ratio_line("first paint springlet / minimal", a, b))


# -- keystroke latency -------------------------------------------------------------------


class SlowStream(ScriptedChatModel):
    """Streams its reply one word every 2 ms, like a fast local model."""

    async def _astream(
        self, messages: Any, stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> AsyncIterator[ChatGenerationChunk]:
        async for chunk in super()._astream(messages, stop, run_manager, **kwargs):
            await asyncio.sleep(0.002)
            yield chunk


async def key_latency(app: SpringletApp, key: str) -> float:
    """A key event posted to the app until the prompt holds it and has repainted.
    (Pilot's `press` would also wait for every other widget's queue to drain.)"""
    before = app.prompt.value
    start = time.perf_counter()
    app.post_message(events.Key(key, key))
    while app.prompt.value == before:
        await asyncio.sleep(0)
    while app.prompt._repaint_required:
        await asyncio.sleep(0)
    return time.perf_counter() - start


async def bench_keystrokes(rounds: int, workspace: Path) -> None:
    # paragraphs of 30 words, like a real answer (one 3000-word paragraph re-parses whole)
    words = " ".join(f"word{i}" + ("\n\n" if i % 30 == 29 else "") for i in range(3000))
    register_script("bench", SlowStream(respond=lambda m, t: Reply(words)))
    ws = load_workspace(workspace, tracing=False)
    app = SpringletApp(Backend(ws), agent="orders", local_clipboard=False)
    streaming: list[float] = []
    idle: list[float] = []
    async with app.run_test(size=(100, 30)) as pilot:
        while app.conversation is None:
            await pilot.pause(0.01)
        for i in range(rounds):
            idle.append(await key_latency(app, "x"))
            app.prompt.value = "tell me everything"
            await pilot.press("enter")
            while app.chat.last_answer is None or len(app.chat.last_answer.text) < 200:
                await pilot.pause(0.005)
            streaming.append(await key_latency(app, "y"))
            await pilot.press("escape")
            while app.running:
                await pilot.pause(0.01)
            app.prompt.value = ""
            if i % 3 == 2:
                await app.action_new_chat()
    ws.close()
    print(f"{'keystroke to screen, while streaming':44} {summary(streaming)}")
    print(f"{'keystroke to screen, idle':44} {summary(idle)}")
    print(ratio_line("keystroke latency streaming / idle", streaming, idle))


# -- a 500-message session ---------------------------------------------------------------


def shop_script(messages: list[Any], tools: list[Any]) -> Any:
    """Every third question is looked up with a tool; the others answered at once."""
    last = messages[-1]
    if isinstance(last, ToolMessage):
        return Reply(f"{last.content}\n\n- checked just now\n- nothing else to do")
    number = int(str(last.content).split()[1].rstrip(":"))
    if number % 3 == 0:
        return ToolCall("get_order_status", {"order_id": "A-1001"})
    return Reply(f"Answer {number}: the order **A-{number}** has shipped.\n\n- line one")


def stored_session(messages: int) -> Path:
    """A workspace whose agent `shop` remembers one session of `messages` messages, made
    by real runs (the memory advisor's checkpoints, read back through ws.sessions)."""
    root = write_workspace(Path(tempfile.mkdtemp()) / "ws", "bench-shop")
    register_script("bench-shop", shop_script)
    with load_workspace(root, tracing=False) as ws:
        agent = ws.agent("shop")
        for i in range(messages // 2):
            agent.run(f"Question {i}: where is order A-{i}?", session_id="long")
    return root


async def open_session(workspace: Path, shown: int, *, trace_memory: bool = False) -> float:
    """Seconds until the newest message is on screen, or (`trace_memory`) the bytes
    Python allocated at the peak of the open (tracemalloc; slower, so timed apart)."""
    ws = load_workspace(workspace, tracing=False)
    app = SpringletApp(Backend(ws), agent="shop", local_clipboard=False)
    async with app.run_test(size=(100, 30)) as pilot:
        while app.conversation is None:
            await pilot.pause(0.01)
        app.chat.shown_at_open = shown
        gc.collect()
        if trace_memory:
            tracemalloc.start()
        start = time.perf_counter()
        app.resume_session("long")
        # Pilot's pause would time out waiting for 500 mounts to settle
        while not (shown_now := app.chat.query("UserMessage")) or not shown_now.last().region:
            await asyncio.sleep(0.001)
        result = time.perf_counter() - start
        if trace_memory:
            result = float(tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
    ws.close()
    return result


async def bench_long_session(rounds: int) -> None:
    workspace = stored_session(500)
    for what, unit, scale, n in (("open", "ms", 1000.0, rounds), ("memory", "MB", 2**-20, 3)):
        windowed: list[float] = []
        everything: list[float] = []
        for _ in range(n):
            windowed.append(await open_session(workspace, 40, trace_memory=what == "memory"))
            everything.append(await open_session(workspace, 10**6, trace_memory=what == "memory"))
        print(
            f"{'500-message session ' + what + ', last 40 mounted':44} "
            f"{summary(windowed, unit, scale)}"
        )
        print(
            f"{'500-message session ' + what + ', all 500 mounted':44} "
            f"{summary(everything, unit, scale)}"
        )
        print(ratio_line(f"{what} windowed / all ({n} rounds)", windowed, everything))


def acme_copy() -> Path:
    root = Path(tempfile.mkdtemp()) / "acme"
    shutil.copytree(REPO / "examples" / "acme", root, ignore=shutil.ignore_patterns(".springlet"))
    settings = root / "springlet.yaml"
    settings.write_text(
        settings.read_text().replace("default_model: auto", "default_model: scripted:bench")
    )
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    workspace = acme_copy()
    register_script("bench", [ToolCall("get_order_status", {"order_id": "A-1001"})])
    register_script("echo-everything", echo)
    bench_first_paint(args.rounds, workspace)
    asyncio.run(bench_keystrokes(args.rounds, workspace))
    asyncio.run(bench_long_session(args.rounds))


if __name__ == "__main__":
    main()
