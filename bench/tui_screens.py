"""The screens of part 2: opening a 10,000-span run in Traces, validation per keystroke
in the Workspace editor, and the Traces screen's latency while 50 runs/s are recorded.
Paired and interleaved (A B A B ...), median and min-max.

    .venv/bin/python bench/tui_screens.py [--rounds 10]

- 10,000-span run: `open_run` until the tree shows the run (store read + index + the
  first page of nodes), against a 100-span run of the same shape.
- validation per keystroke: a character typed in the editor until the problems of that
  very buffer are shown (the debounce set to 1 ms so the figure is the work, not the wait),
  on a 300-line agent file against a 10-line one; and `ws.validate_text` alone.
- latency while recording: a key typed in the Traces filter box until it is on screen,
  while another thread records 50 runs per second (3 spans each) into the workspace's
  trace store, which the screen follows and shows, against the same with nothing recorded.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "tui"))

from stored_traces import wide_run, write_runs  # noqa: E402
from textual import events  # noqa: E402
from textual.widgets import Input  # noqa: E402

from conftest import echo, write_workspace  # noqa: E402
from springlet import load_workspace  # noqa: E402
from springlet.testing import Reply, register_script  # noqa: E402
from springlet.tracing.spans import Span, SpanKind, SpanStatus, new_id  # noqa: E402
from springlet.tracing.store import STORE_FILE, TraceStore  # noqa: E402
from springlet.tui.app import SpringletApp  # noqa: E402
from springlet.tui.backend import Backend  # noqa: E402
from springlet.tui.screens import workspace_editor  # noqa: E402


def summary(values: list[float], unit: str = "ms", scale: float = 1000.0) -> str:
    v = [x * scale for x in values]
    return f"{statistics.median(v):8.1f} {unit} ({min(v):.1f}-{max(v):.1f})"


def ratio_line(name: str, a: list[float], b: list[float]) -> str:
    ratios = [x / y for x, y in zip(a, b, strict=True)]
    return f"{name:46} ratio {statistics.median(ratios):5.2f} ({min(ratios):.2f}-{max(ratios):.2f})"


def workspace() -> Path:
    register_script("bench-screens", [Reply("unused")])
    register_script("echo-everything", echo)
    return write_workspace(Path(tempfile.mkdtemp()) / "ws", "bench-screens")


async def started(root: Path) -> tuple[SpringletApp, Any]:
    ws = load_workspace(root, tracing=False)
    return SpringletApp(Backend(ws), agent="shop", local_clipboard=False), ws


async def wait(predicate: Any) -> None:
    while not predicate():
        await asyncio.sleep(0.0005)


# -- opening a 10,000-span run -----------------------------------------------------------


async def bench_open(rounds: int) -> None:
    root = workspace()
    big, small = "0190cccc0000000000000000000000b1", "0190cccc0000000000000000000000b2"
    write_runs(root / ".springlet", wide_run(big, 10_000), wide_run(small, 100))
    app, ws = await started(root)
    opened: dict[str, list[float]] = {big: [], small: []}
    async with app.run_test(size=(120, 40)) as pilot:
        await wait(lambda: app.conversation is not None)
        app.go_to("Traces")
        await pilot.pause(0.2)
        screen = app.traces_screen
        for _ in range(rounds):
            for run_id in (big, small):
                screen.span_tree.index = None
                start = time.perf_counter()
                screen.open_run(run_id)
                await wait(lambda run_id=run_id: screen.span_tree.run_id == run_id)
                await pilot.pause()  # laid out and painted
                opened[run_id].append(time.perf_counter() - start)
    ws.close()
    print(f"{'open a 10,000-span run (tree on screen)':46} {summary(opened[big])}")
    print(f"{'open a 100-span run':46} {summary(opened[small])}")
    print(ratio_line("open 10,000 / 100 spans", opened[big], opened[small]))


# -- validation per keystroke ------------------------------------------------------------


def agent_file(lines: int) -> str:
    body = "".join(f"  Line {i} of the instructions: answer kindly.\n" for i in range(lines - 6))
    return (
        "name: long\ndescription: A long agent.\nmodel: scripted:bench-screens\n"
        f"tools: [get_order_status]\ninstructions: |\n{body}"
    )


async def keystroke_to_problems(screen: Any, pilot: Any) -> float:
    editor = screen.editor
    start = time.perf_counter()
    editor.insert("x", editor.document.end)
    text = editor.text
    await wait(lambda: screen._last_validated == text)
    elapsed = time.perf_counter() - start
    return elapsed


async def bench_validation(rounds: int) -> None:
    root = workspace()
    (root / "agents" / "long.yaml").write_text(agent_file(300))
    (root / "agents" / "short.yaml").write_text(agent_file(10))
    workspace_editor.DEBOUNCE_S = 0.001  # (a zero-delay Textual timer divides by zero)
    app, ws = await started(root)
    per_key: dict[str, list[float]] = {"long": [], "short": []}
    direct: dict[str, list[float]] = {"long": [], "short": []}
    async with app.run_test(size=(120, 40)) as pilot:
        await wait(lambda: app.conversation is not None)
        app.go_to("Workspace")
        await pilot.pause(0.2)
        screen = app.screen
        await wait(lambda: bool(getattr(screen, "_files", None)))
        for _ in range(rounds):
            for name in ("long", "short"):
                screen.open_file(screen._files[f"agents/{name}.yaml"])
                await wait(lambda name=name: screen.file and screen.file.name == name)
                await pilot.pause(0.05)
                per_key[name].append(await keystroke_to_problems(screen, pilot))
                path, text = Path(f"agents/{name}.yaml"), screen.editor.text
                start = time.perf_counter()
                ws.validate_text(path, text)
                direct[name].append(time.perf_counter() - start)
    ws.close()
    print(f"{'keystroke to problems shown, 300-line agent':46} {summary(per_key['long'])}")
    print(f"{'keystroke to problems shown, 10-line agent':46} {summary(per_key['short'])}")
    print(ratio_line("keystroke 300 / 10 lines", per_key["long"], per_key["short"]))
    print(f"{'ws.validate_text, 300-line agent':46} {summary(direct['long'])}")


# -- latency while 50 runs/s are recorded ------------------------------------------------


def record_runs(data_dir: Path, per_second: int, stop: threading.Event) -> int:
    """Write `per_second` runs a second (root, model, tool) until `stop`; how many."""
    store = TraceStore(data_dir / STORE_FILE)
    written = 0
    next_at = time.perf_counter()
    while not stop.is_set():
        run = new_id()
        now = time.time_ns()
        spans = [
            Span(f"{run[:15]}m", run, run, run, SpanKind.MODEL, "chat", now, now + 10**6,
                 SpanStatus.OK, attributes={"springlet.time_to_first_token_ms": 3.0}, seq=1),
            Span(f"{run[:15]}t", run, run, run, SpanKind.TOOL, "execute_tool x", now,
                 now + 10**6, SpanStatus.OK, attributes={"gen_ai.tool.name": "x"}, seq=2),
            Span(run, run, run, None, SpanKind.AGENT, "invoke_agent load", now, now + 2 * 10**6,
                 SpanStatus.OK, attributes={"gen_ai.agent.name": "load"}),
        ]  # fmt: skip
        store.write(spans)
        written += 1
        next_at += 1 / per_second
        time.sleep(max(0.0, next_at - time.perf_counter()))
    store.close()
    return written


async def key_latency(app: SpringletApp, field: Input, key: str) -> float:
    before = field.value
    start = time.perf_counter()
    app.post_message(events.Key(key, key))
    await wait(lambda: field.value != before)
    await wait(lambda: not field._repaint_required)
    return time.perf_counter() - start


async def bench_recording(rounds: int) -> None:
    root = workspace()
    data_dir = root / ".springlet"
    write_runs(data_dir, wide_run("0190dddd0000000000000000000000c1", 10))
    app, ws = await started(root)
    busy: list[float] = []
    idle: list[float] = []
    shown = 0
    async with app.run_test(size=(120, 40)) as pilot:
        await wait(lambda: app.conversation is not None)
        app.go_to("Traces")
        await pilot.pause(0.3)
        screen = app.traces_screen
        field = screen.query_one("#trace-filter", Input)
        field.focus()
        for _ in range(rounds):
            for _key in range(5):
                idle.append(await key_latency(app, field, "a"))
                await asyncio.sleep(0.05)
            stop = threading.Event()
            writer = threading.Thread(target=record_runs, args=(data_dir, 50, stop), daemon=True)
            writer.start()
            await asyncio.sleep(0.5)  # the screen is following and showing them
            for _key in range(5):
                busy.append(await key_latency(app, field, "b"))
                await asyncio.sleep(0.05)
            stop.set()
            writer.join()
            await pilot.pause(0.6)
            field.value = ""
        shown = screen.query_one("#runs").row_count  # type: ignore[attr-defined]
    ws.close()
    print(f"{'Traces keystroke, 50 runs/s recorded':46} {summary(busy)}")
    print(f"{'Traces keystroke, nothing recorded':46} {summary(idle)}")
    print(ratio_line("Traces keystroke recording / idle", busy, idle))
    print(f"{'rows in the table at the end (bounded)':46} {shown}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--only", choices=("open", "validation", "recording"))
    args = parser.parse_args()
    if not args.only or args.only == "open":
        asyncio.run(bench_open(args.rounds))
    if not args.only or args.only == "validation":
        asyncio.run(bench_validation(args.rounds))
    if not args.only or args.only == "recording":
        asyncio.run(bench_recording(args.rounds))


if __name__ == "__main__":
    main()
