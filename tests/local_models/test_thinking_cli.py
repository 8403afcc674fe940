"""`springlet run` shows thinking dimmed on stderr, never in the answer on stdout."""

from __future__ import annotations

import uuid
from pathlib import Path

from click.testing import CliRunner

from springlet.cli import main
from springlet.testing import Reply, register_script, unregister_script


def test_run_shows_thinking_on_stderr_only(tmp_path: Path) -> None:
    script = f"think{uuid.uuid4().hex[:8]}"
    register_script(script, [Reply("<think>Two and two make four.</think>It is 4.")])
    try:
        (tmp_path / "agents").mkdir()
        (tmp_path / "agents" / "a.yaml").write_text(
            f"name: a\ndescription: d\nmodel: scripted:{script}\ninstructions: You help.\n"
        )
        result = CliRunner().invoke(main, ["run", "-w", str(tmp_path), "a", "2+2?"])
    finally:
        unregister_script(script)
    assert result.exit_code == 0, result.output
    assert result.stdout == "It is 4.\n"
    assert "Two and two make four." in result.stderr
