"""Tool modules that exit, hang or interrupt at import: each is a located error on its file."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

FaultWorkspace = Any  # the fault_ws fixture (tests/faults/conftest.py)
RunCli = Any  # the run_cli fixture

GOOD = '''
from springlet import tool


@tool
def echo(text: str) -> str:
    """Repeats the text."""
    return text
'''

BAD = {
    "exits.py": "import sys\nsys.exit(3)\n",
    "hard_exit.py": "import os\nos._exit(5)\n",
    "sleeper.py": "import time\ntime.sleep(100)\n",
    "interrupts.py": "x = 1\n\nraise KeyboardInterrupt\n",
}


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "SPRINGLET_TOOL_IMPORT_TIMEOUT_S": "3",
        "SPRINGLET_CACHE_DIR": str(tmp_path / "cache"),
    }


def test_validate_reports_each_fatal_tool_module_on_its_file(
    fault_ws: FaultWorkspace, run_cli: RunCli, env: dict[str, str]
) -> None:
    fault_ws.tools(GOOD, "good.py")
    for name, source in BAD.items():
        fault_ws.tools(source, name)
    fault_ws.agent(["echo"])
    started = time.monotonic()
    done = run_cli("validate", "--json", "-w", str(fault_ws.root), env=env, timeout=60)
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert time.monotonic() - started < 30
    report = json.loads(done.stdout)
    assert report["tools"] == ["echo"]
    problems = {Path(p["path"]).name: p for p in report["problems"]}
    assert set(problems) == set(BAD)
    assert "SystemExit: 3" in problems["exits.py"]["message"]
    assert problems["exits.py"]["line"] == 2
    assert "exit code 5" in problems["hard_exit.py"]["message"]
    assert "did not finish within 3 s" in problems["sleeper.py"]["message"]
    assert "KeyboardInterrupt" in problems["interrupts.py"]["message"]
    assert problems["interrupts.py"]["line"] == 3
    assert "Traceback" not in done.stderr


def test_a_vetted_file_is_not_vetted_again(
    fault_ws: FaultWorkspace, run_cli: RunCli, env: dict[str, str]
) -> None:
    fault_ws.tools(GOOD, "good.py")
    fault_ws.agent(["echo"])
    first = run_cli("validate", "-w", str(fault_ws.root), env=env, timeout=60)
    assert first.returncode == 0, first.stderr
    assert len(list((Path(env["SPRINGLET_CACHE_DIR"]) / "vetted-tools").iterdir())) == 1
    fault_ws.tools(GOOD + "\n# changed\n", "good.py")
    again = run_cli("validate", "-w", str(fault_ws.root), env=env, timeout=60)
    assert again.returncode == 0
    assert len(list((Path(env["SPRINGLET_CACHE_DIR"]) / "vetted-tools").iterdir())) == 2


def test_run_with_a_fatal_tool_module_names_the_file(
    fault_ws: FaultWorkspace, run_cli: RunCli, env: dict[str, str]
) -> None:
    fault_ws.tools(BAD["hard_exit.py"], "hard_exit.py")
    fault_ws.tools(GOOD, "good.py")
    fault_ws.agent(["echo"])
    steps = '[Reply("Hello.")]'
    done = run_cli(
        "run", "-w", str(fault_ws.root), "a", "hi", script=(fault_ws.script, steps), env=env
    )
    # the agent does not use the broken file: it answers (before: exit 5, silently)
    assert done.returncode == 0, done.stderr
    assert "Hello." in done.stdout
