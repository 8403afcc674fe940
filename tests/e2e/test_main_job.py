"""The README's main job, end to end: the example agent answers on the embedded model,
offline, after a real tool call — through the `springlet` command a user types."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture
def acme(tmp_path: Path, example_workspace: Path) -> Path:
    target = tmp_path / "acme"
    shutil.copytree(example_workspace, target, ignore=shutil.ignore_patterns(".springlet"))
    return target


def springlet(*args: str, workspace: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "SPRINGLET_WORKSPACE": str(workspace),
        # nothing listens here, so `auto` must fall back to the embedded model
        "OLLAMA_HOST": "http://127.0.0.1:9",
    }
    return subprocess.run(
        [sys.executable, "-m", "springlet", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


def test_orders_agent_answers_offline_with_a_tool_call(acme: Path) -> None:
    done = springlet("run", "orders", "Where is my order A-1001?", "--json", workspace=acme)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == "ok"
    assert result["model"] == "embedded:smollm2"
    assert "no Ollama" in result["model_reason"]
    [call] = result["tool_calls"]
    assert (call["name"], call["arguments"], call["ok"]) == (
        "get_order_status",
        {"order_id": "A-1001"},
        True,
    )
    assert "shipped" in call["result"]
    # the tool's result reached the answer: the model wrote its answer after reading it
    # (the answer's own words depend on the CPU's floating-point path, so they are not
    # asserted)
    roles = [m["role"] for m in result["messages"]]
    tool_at = roles.index("tool")
    assert result["messages"][tool_at]["content"] == call["result"]
    assert roles[tool_at + 1 :] == ["ai"] and result["messages"][-1]["content"].strip()
    assert result["text"] == result["messages"][-1]["content"]
    assert result["run_id"]
    # the run was traced, and the trace can be shown
    shown = springlet("traces", "show", result["run_id"], workspace=acme)
    assert shown.returncode == 0, shown.stderr
    assert "get_order_status" in shown.stdout


def test_the_next_steps_springlet_init_prints_work_as_printed(tmp_path: Path) -> None:
    import shlex

    env = {**os.environ, "OLLAMA_HOST": "http://127.0.0.1:9"}
    done = subprocess.run(
        [sys.executable, "-m", "springlet", "init", "my-ws"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    steps = [
        line.split("next:", 1)[-1].strip()
        for line in done.stdout.splitlines()
        if line.strip().startswith(("next:", "springlet "))
    ]
    assert len(steps) >= 2 and all(step.startswith("springlet ") for step in steps)
    for step in steps:  # the collection the agent needs was never ingested: first use does it
        args = shlex.split(step)[1:]
        ran = subprocess.run(
            [sys.executable, "-m", "springlet", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
        )
        assert ran.returncode == 0, f"{step}\n{ran.stdout}\n{ran.stderr}"
        assert "Traceback" not in ran.stderr
