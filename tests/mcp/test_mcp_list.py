"""`springlet mcp list [NAME]`: the declared servers, and one server's tools, prompts and
resources (the server is started for it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from springlet.cli import main

from .conftest import SRC, stdio_server

FLAGS = (
    "--tool",
    "lookup=stock of {sku}",
    "--prompt",
    "restock=Order more {sku}",
    "--resource",
    "stock://catalog=all items",
)


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SPRINGLET_TEST_SRC", SRC)
    (tmp_path / "springlet.yaml").write_text(
        "mcp_servers:\n  stock:\n"
        + stdio_server(*FLAGS)
        + "  crm:\n    url: http://127.0.0.1:9/mcp\n"
    )
    return tmp_path


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_list_shows_the_declared_servers(workspace: Path) -> None:
    code, out, _ = cli("mcp", "list", "-w", str(workspace))
    assert code == 0
    assert "crm  (http)  http://127.0.0.1:9/mcp" in out
    assert "stock  (stdio)  python -m springlet.testing.mcp_server" in out


def test_list_name_shows_its_tools_prompts_and_resources(workspace: Path) -> None:
    code, out, err = cli("mcp", "list", "stock", "--json", "-w", str(workspace))
    assert code == 0, err
    listing = json.loads(out)
    assert [t["name"] for t in listing["tools"]] == ["lookup"]
    assert [p["name"] for p in listing["prompts"]] == ["restock"]
    assert [r["name"] for r in listing["resources"]] == ["stock://catalog"]


def test_list_of_an_unreachable_server_is_a_clear_error(workspace: Path) -> None:
    code, _, err = cli("mcp", "list", "crm", "-w", str(workspace))
    assert code == 1
    assert "error: MCP server 'crm' could not be started (http: http://127.0.0.1:9/mcp)" in err
