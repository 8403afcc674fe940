"""`springlet ingest`: builds indexes, is idempotent, refuses a changed embedder."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from springlet.cli import main
from springlet.workspace.knowledge import close_shared_stores

WORKSPACE = {
    "springlet.yaml": "embeddings: scripted:words\n",
    "knowledge/manual.yaml": """
        name: manual
        sources:
          - path: knowledge/manual/
            glob: "**/*.md"
        splitter: {chunk_size: 200, chunk_overlap: 20}
    """,
    "knowledge/manual/reset.md": "# Reset\n\nHold the reset button for ten seconds.\n",
    "knowledge/manual/hours.md": "# Hours\n\nThe shop opens at nine.\n",
    "knowledge/manual/skip.txt": "Not matched by the glob.\n",
}


@pytest.fixture(autouse=True)
def _fresh_stores() -> Iterator[None]:
    yield
    close_shared_stores()


def run(*argv: str) -> Result:
    return CliRunner().invoke(main, list(argv), env={"COLUMNS": "160"})


def test_ingest_then_again_embeds_nothing(
    write_workspace: Callable[[dict[str, str]], Path],
) -> None:
    root = write_workspace(WORKSPACE)
    first = run("ingest", "manual", "--json", "-w", str(root))
    assert first.exit_code == 0, first.output
    report = json.loads(first.stdout.strip())
    assert (report["files"], report["changed"], report["embedded"]) == (2, 2, 2)
    again = json.loads(run("ingest", "--json", "-w", str(root)).stdout.strip())
    assert (again["changed"], again["embedded"], again["chunks"]) == (0, 0, 2)
    assert (root / ".springlet" / "knowledge.sqlite").is_file()


def test_summary_line_and_rebuild(write_workspace: Callable[[dict[str, str]], Path]) -> None:
    root = write_workspace(WORKSPACE)
    assert run("ingest", "-w", str(root)).exit_code == 0
    result = run("ingest", "manual", "--rebuild", "-w", str(root))
    assert result.exit_code == 0, result.output
    assert "manual: 2 files (2 changed, 0 deleted), 2 chunks; embedded 2" in result.stdout


def test_changed_embedder_is_refused_with_the_fix(
    write_workspace: Callable[[dict[str, str]], Path],
) -> None:
    root = write_workspace(WORKSPACE)
    assert run("ingest", "-w", str(root)).exit_code == 0
    close_shared_stores()
    (root / "springlet.yaml").write_text("embeddings: scripted:other\n", encoding="utf-8")
    result = run("ingest", "manual", "-w", str(root))
    assert result.exit_code == 1
    assert "scripted:words@hash-64" in result.output
    assert "scripted:other@hash-64" in result.output
    assert "springlet ingest manual --rebuild" in result.output
    assert "Traceback" not in result.output
    assert run("ingest", "manual", "--rebuild", "-w", str(root)).exit_code == 0


def test_unknown_collection_is_named_with_a_suggestion(
    write_workspace: Callable[[dict[str, str]], Path],
) -> None:
    root = write_workspace(WORKSPACE)
    result = run("ingest", "manul", "-w", str(root))
    assert result.exit_code == 1
    assert (
        "no collection named 'manul'" in result.output and "did you mean 'manual'" in result.output
    )
