"""Fault-injection fixtures: a workspace whose agent runs on a scripted model and whose
tools are written by the test, and the CLI run in a subprocess with a time limit (so a
regression that hangs fails instead of hanging the suite)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from springlet.testing import register_script, unregister_script

SRC = Path(__file__).resolve().parents[2] / "src"


@dataclass
class FaultWorkspace:
    root: Path
    script: str

    def agent(self, tools: list[str], extra: str = "", name: str = "a") -> None:
        """Write agents/<name>.yaml running on this workspace's script."""
        (self.root / "agents").mkdir(exist_ok=True)
        (self.root / "agents" / f"{name}.yaml").write_text(
            f"name: {name}\ndescription: Test agent.\nmodel: scripted:{self.script}\n"
            f"instructions: You help.\ntools: [{', '.join(tools)}]\n" + textwrap.dedent(extra)
        )

    def tools(self, source: str, file: str = "faulty.py") -> None:
        (self.root / "tools").mkdir(exist_ok=True)
        (self.root / "tools" / file).write_text(textwrap.dedent(source).lstrip("\n"))


@pytest.fixture
def fault_ws(tmp_path: Path) -> Iterator[FaultWorkspace]:
    script = f"f{uuid.uuid4().hex[:8]}"
    root = tmp_path / "ws"
    root.mkdir()
    yield FaultWorkspace(root, script)
    unregister_script(script)


def script_module(script: str, steps: str) -> str:
    """Python source that registers `steps` (an expression over Reply/ToolCall) as
    `script` in a CLI subprocess (loaded with -c before the CLI runs)."""
    return (
        "from springlet.testing import Reply, ToolCall, register_script\n"
        f"register_script({script!r}, {steps})\n"
    )


CliResult = subprocess.CompletedProcess[str]
RunCli = Callable[..., CliResult]


@pytest.fixture
def run_cli() -> RunCli:
    """`run_cli(*args, script=(name, steps_expr), timeout=.., prelude=code)`: the CLI in a
    subprocess (`prelude`: Python run before it, to inject a fault)."""

    def run(
        *args: str,
        script: tuple[str, str] | None = None,
        timeout: float = 60,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
        stdin: str | None = None,
        prelude: str = "",
    ) -> CliResult:
        setup = (script_module(*script) if script else "") + prelude
        code = setup + "import sys\nfrom springlet.cli import main\nmain(sys.argv[1:])\n"
        environment = {**os.environ, "PYTHONPATH": str(SRC), **(env or {})}
        return subprocess.run(
            [sys.executable, "-c", code, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=cwd,
            env=environment,
            input=stdin,
        )

    return run


__all__ = ["FaultWorkspace", "RunCli", "register_script"]
