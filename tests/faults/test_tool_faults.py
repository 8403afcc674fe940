"""Tools that misbehave at call time: BaseException, timeouts, print()."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from springlet import load_workspace
from springlet.testing import Reply, ToolCall, register_script

FaultWorkspace = Any  # the fault_ws fixture (tests/faults/conftest.py)
RunCli = Any  # the run_cli fixture

RAISERS = '''
import asyncio
import sys
import time
from springlet import tool


@tool
def raises_exit(x: str) -> str:
    """Exits the interpreter."""
    sys.exit(3)


@tool
def raises_interrupt(x: str) -> str:
    """Raises KeyboardInterrupt."""
    raise KeyboardInterrupt


@tool
def raises_generator_exit(x: str) -> str:
    """Raises GeneratorExit."""
    raise GeneratorExit


@tool
async def async_exit(x: str) -> str:
    """Exits from a coroutine."""
    await asyncio.sleep(0)
    raise SystemExit(4)


@tool
async def async_interrupt(x: str) -> str:
    """Interrupts from a coroutine."""
    raise KeyboardInterrupt


@tool(timeout_s=1)
def sleeps_long(x: str) -> str:
    """Sleeps far past its timeout."""
    time.sleep(600)
    return x


@tool
def chatty(x: str) -> str:
    """Prints to stdout, then answers."""
    print("CHATTY-STDOUT-AT-CALL")
    return "chatty says " + x


print("CHATTY-STDOUT-AT-IMPORT")
'''

ALL = [
    "raises_exit",
    "raises_interrupt",
    "raises_generator_exit",
    "async_exit",
    "async_interrupt",
    "sleeps_long",
    "chatty",
]


def run_with_deadline(agent: Any, message: str, seconds: float = 20) -> Any:
    """agent.run in a daemon thread; fails the test (instead of hanging) past `seconds`."""
    box: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: box.update(r=agent.run(message)), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"the run did not return within {seconds} s"
    return box["r"]


@pytest.mark.parametrize(
    ("tool", "kind"),
    [
        ("raises_exit", "SystemExit"),
        ("raises_interrupt", "KeyboardInterrupt"),
        ("raises_generator_exit", "GeneratorExit"),
        ("async_exit", "SystemExit"),
        ("async_interrupt", "KeyboardInterrupt"),
    ],
)
def test_base_exception_from_a_tool_is_a_failed_call_and_the_loop_survives(
    fault_ws: FaultWorkspace, tool: str, kind: str
) -> None:
    fault_ws.tools(RAISERS)
    fault_ws.agent(ALL)
    steps = [ToolCall(tool, {"x": "1"}), Reply("Recovered."), Reply("Still alive.")]
    register_script(fault_ws.script, steps)
    with load_workspace(fault_ws.root, tracing=False) as ws:
        result = run_with_deadline(ws.agent("a"), "go")
        assert result.status == "ok", result.error
        assert result.text == "Recovered."
        (call,) = result.tool_calls
        assert call.ok is False
        assert tool in call.result and kind in call.result
        # a later, unrelated run on the same runtime loop still works
        assert run_with_deadline(ws.agent("a"), "again").text == "Still alive."


STEPS_EXIT = '[ToolCall("raises_exit", {"x": "1"}), Reply("Recovered.")]'


def test_cli_run_with_an_exiting_tool_answers_and_exits(
    fault_ws: FaultWorkspace, run_cli: RunCli
) -> None:
    fault_ws.tools(RAISERS)
    fault_ws.agent(ALL)
    done = run_cli(
        "run", "-w", str(fault_ws.root), "a", "go", script=(fault_ws.script, STEPS_EXIT), timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "Recovered." in done.stdout
    assert "raises_exit failed" in done.stderr and "SystemExit" in done.stderr
    assert "Traceback" not in done.stderr


STEPS_SLOW = '[ToolCall("sleeps_long", {"x": "1"}), Reply("Gave up waiting.")]'


def test_cli_exits_after_a_timed_out_sync_tool_and_says_it_was_abandoned(
    fault_ws: FaultWorkspace, run_cli: RunCli
) -> None:
    fault_ws.tools(RAISERS)
    fault_ws.agent(ALL)
    # before the fix the process outlived the answer by the tool's 600 s sleep
    done = run_cli(
        "run", "-w", str(fault_ws.root), "a", "go", script=(fault_ws.script, STEPS_SLOW), timeout=45
    )
    assert done.returncode == 0, done.stderr
    assert "Gave up waiting." in done.stdout
    assert "abandoned" in done.stderr
    assert "Traceback" not in done.stderr


HANGS = '''
import time
from springlet import tool


@tool
def hangs(x: str) -> str:
    """Never returns (no timeout_s)."""
    time.sleep(600)
    return x
'''


def test_ctrl_c_in_the_cli_still_stops_it_while_a_tool_runs(fault_ws: FaultWorkspace) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    fault_ws.tools(HANGS, "hangs.py")
    fault_ws.agent(["hangs"])
    code = (
        "from springlet.testing import Reply, ToolCall, register_script\n"
        f"register_script({fault_ws.script!r}, [ToolCall('hangs', {{'x': '1'}}), Reply('x')])\n"
        "import sys\nfrom springlet.cli import main\nmain(sys.argv[1:])\n"
    )
    src = str(Path(__file__).resolve().parents[2] / "src")
    child = subprocess.Popen(
        [sys.executable, "-c", code, "run", "-w", str(fault_ws.root), "a", "go"],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": src},
    )
    try:
        assert child.stderr is not None
        # wait for "-> hangs(x='1')", the tool running (a line before it, say a warning
        # naming tools/hangs.py, would send the signal too early)
        seen = []
        while not (line := child.stderr.readline()).lstrip().startswith("-> hangs("):
            seen.append(line)
            assert line, f"the CLI ended before the tool ran: {seen}"
        time.sleep(0.3)
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=20)
    finally:
        child.kill()
    assert child.returncode == 130
    assert "interrupted" in err and "Traceback" not in err
