"""The CLI's failure contract: no raw traceback; an unexpected error is an "internal error"
line naming the run, the traceback kept in a debug log and printed with --debug."""

from __future__ import annotations

from pathlib import Path
from typing import Any

FaultWorkspace = Any  # the fault_ws fixture (tests/faults/conftest.py)
RunCli = Any  # the run_cli fixture

BREAK_TRACES = (
    "import springlet.cli.traces_cmd as t\n"
    "def broken(*a, **k):\n    raise RuntimeError('boom in the store')\n"
    "t.open_store = broken\n"
)


def test_an_unexpected_error_is_an_internal_error_without_traceback(
    fault_ws: FaultWorkspace, run_cli: RunCli, tmp_path: Path
) -> None:
    env = {"SPRINGLET_CACHE_DIR": str(tmp_path / "cache")}
    done = run_cli("traces", "list", "-w", str(fault_ws.root), prelude=BREAK_TRACES, env=env)
    assert done.returncode == 1
    assert "internal error: RuntimeError: boom in the store" in done.stderr
    assert "--debug" in done.stderr
    assert "Traceback" not in done.stderr
    log = (tmp_path / "cache" / "debug.log").read_text()
    assert "Traceback" in log and "boom in the store" in log


def test_debug_prints_the_traceback(
    fault_ws: FaultWorkspace, run_cli: RunCli, tmp_path: Path
) -> None:
    env = {"SPRINGLET_CACHE_DIR": str(tmp_path / "cache")}
    done = run_cli(
        "--debug", "traces", "list", "-w", str(fault_ws.root), prelude=BREAK_TRACES, env=env
    )
    assert done.returncode == 1
    assert "internal error" in done.stderr and "Traceback" in done.stderr
