"""The example workspace's `stock` agent uses the warehouse MCP server it ships
(examples/acme/mcp/warehouse.py, written with the official SDK), started over stdio."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from springlet import load_workspace
from springlet.testing import Reply, ToolCall, register_script, unregister_script

from .conftest import SRC


@pytest.fixture
def acme(tmp_path: Path, example_workspace: Path) -> Path:
    target = tmp_path / "acme"
    shutil.copytree(example_workspace, target, ignore=shutil.ignore_patterns(".springlet"))
    return target


def test_the_stock_agent_calls_the_shipped_warehouse_server(acme: Path) -> None:
    name = f"acme{uuid.uuid4().hex[:6]}"
    settings = acme / "springlet.yaml"
    settings.write_text(
        settings.read_text().replace("default_model: auto", f"default_model: scripted:{name}")
    )
    register_script(name, [ToolCall("check_stock", {"sku": "KETTLE-2"}), Reply("14 in Leipzig.")])
    try:
        with load_workspace(acme, tracing=False) as ws:
            assert ws.problems == ()
            result = ws.agent("stock").run("Is the kettle in stock?")
    finally:
        unregister_script(name)
    assert [(c.name, c.result, c.ok) for c in result.tool_calls] == [
        ("check_stock", "ACME Kettle 2 (KETTLE-2): 14 units in Leipzig.", True)
    ]


@pytest.mark.slow
def test_the_stock_agent_answers_offline_on_the_embedded_model(acme: Path) -> None:
    env = {**os.environ, "PYTHONPATH": SRC, "OLLAMA_HOST": "http://127.0.0.1:9"}
    done = subprocess.run(
        [sys.executable, "-m", "springlet", "run", "stock", "Is KETTLE-2 in stock?", "--json"],
        capture_output=True,
        text=True,
        env={**env, "SPRINGLET_WORKSPACE": str(acme)},
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["model"] == "embedded:smollm2"
    [call] = result["tool_calls"]
    assert (call["name"], call["ok"]) == ("check_stock", True)
    assert "units in Leipzig" in call["result"]
