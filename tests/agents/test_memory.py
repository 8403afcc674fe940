"""Conversation memory's SQLite connection: opened, used and closed on the runtime loop.

aiosqlite answers each call on the event loop of whoever made it. A connection left for
the garbage collector used to be stopped on the collecting thread's loop: collected inside
a caller's `asyncio.run` that then ended, its worker thread died on "Event loop is closed"
(seen as PytestUnhandledThreadExceptionWarning in CI). These tests watch the worker thread.
"""

from __future__ import annotations

import asyncio
import gc
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from springlet import Workspace, load_workspace
from springlet._runtime import runtime_loop
from springlet.agents.memory import MEMORY_FILE
from springlet.testing import Reply, register_script

AGENT = """
name: a
description: Test agent.
model: scripted:{script}
instructions: You help.
advisors:
  - memory: {{}}
"""


def count_user_turns(messages: Any, tools: Any) -> Reply:
    turns = [m for m in messages if m.type == "human"]
    return Reply(f"{len(turns)}: {turns[-1].content}")


@pytest.fixture
def memory_root(tmp_path: Path, script_name: str) -> Path:
    """A workspace whose agent `a` remembers (the test decides when it is closed)."""
    register_script(script_name, count_user_turns)
    root = tmp_path / "ws"
    (root / "agents").mkdir(parents=True)
    (root / "agents" / "a.yaml").write_text(AGENT.format(script=script_name))
    return root


@pytest.fixture
def thread_errors() -> Iterator[list[BaseException]]:
    """Exceptions that ended any thread during the test."""
    errors: list[BaseException] = []
    previous = threading.excepthook

    def capture(args: threading.ExceptHookArgs) -> None:
        errors.append(args.exc_value or RuntimeError(str(args.exc_type)))

    threading.excepthook = capture
    yield errors
    threading.excepthook = previous


def memory_worker(ws: Workspace) -> threading.Thread:
    """Build agent `a`, which opens the memory; the connection's worker thread."""
    runtime_loop.runtime_loop()  # started already, so the one new thread is aiosqlite's
    before = set(threading.enumerate())
    ws.agent("a")
    (worker,) = [t for t in threading.enumerate() if t not in before]
    return worker


def write_ahead_log(root: Path) -> Path:
    """SQLite removes it when the last connection to the database closes cleanly."""
    data_dir: Path = load_workspace(root, tracing=False).loaded.data_dir
    return data_dir / f"{MEMORY_FILE}-wal"


def assert_ends(worker: threading.Thread) -> None:
    worker.join(5.0)
    assert not worker.is_alive(), "the memory connection was left open"


def test_close_ends_the_connection_and_keeps_the_conversation(memory_root: Path) -> None:
    ws = load_workspace(memory_root, tracing=False)
    worker = memory_worker(ws)
    assert ws.agent("a").run("hello", session_id="s").text == "1: hello"
    ws.close()
    assert not write_ahead_log(memory_root).exists()
    assert_ends(worker)
    with load_workspace(memory_root, tracing=False) as again:
        assert again.agent("a").run("again", session_id="s").text == "2: again"


def collect_in_an_ending_loop() -> None:
    """Garbage is collected while a caller's loop runs, and that loop closes right after
    (the CI failure: a pytest-asyncio test's loop; whether it hit was a thread race)."""

    async def collect() -> None:
        gc.collect()

    asyncio.run(collect())


def collect_after_the_loop_closed() -> None:
    """Garbage is collected while the thread's current loop is a closed one (a caller ran
    its own loop and closed it without unsetting it); this one hits every time."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loop.close()
    try:
        gc.collect()
    finally:
        asyncio.set_event_loop(None)


@pytest.mark.parametrize("collect", [collect_in_an_ending_loop, collect_after_the_loop_closed])
def test_memory_of_a_workspace_nobody_closed(
    memory_root: Path, thread_errors: list[BaseException], collect: Callable[[], None]
) -> None:
    ws = load_workspace(memory_root, tracing=False)
    worker = memory_worker(ws)

    async def use_from_own_loop(ws: Workspace) -> str:
        return (await ws.agent("a").arun("hello", session_id="s")).text

    assert asyncio.run(use_from_own_loop(ws)) == "1: hello"
    del ws  # never closed: the garbage collector finds it
    collect()
    assert_ends(worker)
    assert thread_errors == []


def test_close_from_a_callers_loop_and_on_the_runtime_loop(
    memory_root: Path, thread_errors: list[BaseException]
) -> None:
    async def run_and_close(ws: Workspace) -> str:
        text = (await ws.agent("a").arun("hi", session_id="s")).text
        ws.close()
        return text

    ws = load_workspace(memory_root, tracing=False)
    worker = memory_worker(ws)
    assert asyncio.run(run_and_close(ws)) == "1: hi"
    assert_ends(worker)
    # from code running on the runtime loop itself (an async tool, say): close cannot
    # wait there, so it is scheduled on that loop
    ws = load_workspace(memory_root, tracing=False)
    worker = memory_worker(ws)
    assert runtime_loop.run_sync(run_and_close(ws)) == "2: hi"
    assert_ends(worker)
    assert thread_errors == []


def test_memory_left_open_is_closed_at_exit(memory_root: Path, script_name: str) -> None:
    script = f"""
        import springlet
        from springlet.testing import Reply, register_script

        register_script({script_name!r}, [Reply("hi")])
        WS = springlet.load_workspace({str(memory_root)!r}, tracing=False)
        print(WS.agent("a").run("hello", session_id="s").text)
    """
    done = subprocess.run(
        [sys.executable, "-X", "dev", "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (done.returncode, done.stdout) == (0, "hi\n"), done.stderr
    assert "Traceback" not in done.stderr and "ResourceWarning" not in done.stderr
    assert not write_ahead_log(memory_root).exists()


def test_a_closed_workspace_builds_its_agents_anew(memory_root: Path) -> None:
    ws = load_workspace(memory_root, tracing=False)
    assert ws.agent("a").run("hello", session_id="s").text == "1: hello"
    ws.close()
    # the agent built before close held the closed memory; asking again reopens it
    assert ws.agent("a").run("again", session_id="s").text == "2: again"
    ws.close()
