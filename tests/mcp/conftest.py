"""Workspaces whose agent `a` runs on a scripted model and uses MCP servers from YAML."""

from __future__ import annotations

import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import springlet
from springlet import Workspace, load_workspace
from springlet.testing import register_script, unregister_script

SRC = str(Path(springlet.__file__).resolve().parents[1])

MakeWorkspace = Callable[..., Workspace]


def stdio_server(*flags: str, timeout_s: float = 20, extra: str = "") -> str:
    """A `mcp_servers:` entry running springlet's MCP test server with `flags`."""
    args = ", ".join(f'"{f}"' for f in ["-m", "springlet.testing.mcp_server", *flags])
    return (
        f"    command: python\n    args: [{args}]\n"
        '    env: {PYTHONPATH: "${SPRINGLET_TEST_SRC}"}\n'
        f"    timeout_s: {timeout_s}\n{extra}"
    )


@pytest.fixture
def make_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MakeWorkspace]:
    """`make_workspace(script, servers={name: entry}, tools=..., tracing=...)`."""
    monkeypatch.setenv("SPRINGLET_TEST_SRC", SRC)  # the test server imports these sources
    opened: list[Workspace] = []
    names: list[str] = []

    def make(
        script: object,
        servers: dict[str, str],
        tools: str,
        *,
        advisors: str = "",
        tracing: object = False,
    ) -> Workspace:
        name = f"m{uuid.uuid4().hex[:8]}"
        names.append(name)
        register_script(name, script)  # type: ignore[arg-type]
        root = tmp_path / "ws"
        (root / "agents").mkdir(parents=True, exist_ok=True)
        settings = "mcp_servers:\n" + "".join(f"  {n}:\n{e}" for n, e in servers.items())
        (root / "springlet.yaml").write_text(settings)
        agent = (
            f"name: a\ndescription: Test agent.\nmodel: scripted:{name}\n"
            f"instructions: You help.\ntools:\n{textwrap.dedent(tools)}{advisors}"
        )
        (root / "agents" / "a.yaml").write_text(agent)
        ws = load_workspace(root, tracing=tracing)
        assert [str(p) for p in ws.problems] == []
        opened.append(ws)
        return ws

    yield make
    for ws in opened:
        ws.close()
    for name in names:
        unregister_script(name)
