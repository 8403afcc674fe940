"""Concurrent turns of one session are serialized: none is lost, in one process and
across processes (agents/session_lock.py)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from springlet import load_workspace
from springlet.testing import Reply, register_script

FaultWorkspace = Any  # the fault_ws fixture (tests/faults/conftest.py)
RunCli = Any  # the run_cli fixture
SRC = Path(__file__).resolve().parents[2] / "src"


def humans_seen(messages: list[Any], tools: Any) -> Reply:
    """Answers with how many user turns the conversation it was given holds."""
    count = sum(1 for m in messages if getattr(m, "type", "") == "human")
    return Reply(f"seen {count}")


def test_twenty_concurrent_turns_of_one_session_are_all_kept(fault_ws: FaultWorkspace) -> None:
    fault_ws.agent([], "advisors:\n  - memory: {}\n")
    register_script(fault_ws.script, humans_seen)
    with load_workspace(fault_ws.root, tracing=False) as ws:
        agent = ws.agent("a")

        async def turns() -> list[Any]:
            return await asyncio.gather(
                *(agent.arun(f"turn {i}", session_id="shared") for i in range(20))
            )

        results = asyncio.run(turns())
        assert all(r.status == "ok" for r in results)
        # serialized: each turn saw the ones before it, so the counts are 1..20
        assert sorted(int(r.text.split()[1]) for r in results) == list(range(1, 21))
        assert agent.run("and now?", session_id="shared").text == "seen 21"
        # other sessions do not wait for, or see, this one
        assert agent.run("hello", session_id="other").text == "seen 1"


def test_concurrent_turns_from_threads_are_serialized(fault_ws: FaultWorkspace) -> None:
    fault_ws.agent([], "advisors:\n  - memory: {}\n")
    register_script(fault_ws.script, humans_seen)
    with load_workspace(fault_ws.root, tracing=False) as ws:
        agent = ws.agent("a")
        with ThreadPoolExecutor(8) as pool:
            texts = list(pool.map(lambda i: agent.run(f"t{i}", session_id="s").text, range(8)))
        assert sorted(texts) == sorted(f"seen {i}" for i in range(1, 9))


RESPONDER = (
    "from springlet.testing import Reply, register_script\n"
    "def respond(messages, tools):\n"
    "    return Reply(f\"seen {sum(1 for m in messages if m.type == 'human')}\")\n"
)


@pytest.mark.slow
def test_six_cli_processes_on_one_session_lose_no_turn(
    fault_ws: FaultWorkspace, run_cli: RunCli
) -> None:
    fault_ws.agent([], "advisors:\n  - memory: {}\n")
    code = (
        RESPONDER
        + f"register_script({fault_ws.script!r}, respond)\n"
        + "import sys\nfrom springlet.cli import main\nmain(sys.argv[1:])\n"
    )
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    argv = [sys.executable, "-c", code, "run", "-w", str(fault_ws.root), "--session", "s1", "a"]
    procs = [
        subprocess.Popen([*argv, f"turn {i}"], stdout=subprocess.PIPE, text=True, env=env)
        for i in range(6)
    ]
    outs = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert sorted(outs) == sorted(f"seen {i}" for i in range(1, 7))
    last = subprocess.run([*argv, "last"], capture_output=True, text=True, env=env, timeout=60)
    assert last.stdout.strip() == "seen 7"
