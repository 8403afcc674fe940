"""`springlet search`: ranked chunks with scores and sources, as a table or JSON."""

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
            tags: [manual]
          - path: knowledge/legal/
            tags: [legal]
    """,
    "knowledge/manual/reset.md": "# Router\n\n## Reset\n\nHold the reset button for ten seconds.\n",
    "knowledge/manual/hours.md": "# Hours\n\nThe shop opens at nine.\n",
    "knowledge/legal/terms.md": "# Terms\n\nThe reset of a contract needs a written notice.\n",
}


@pytest.fixture(autouse=True)
def _fresh_stores() -> Iterator[None]:
    yield
    close_shared_stores()


def run(*argv: str) -> Result:
    return CliRunner().invoke(main, list(argv), env={"COLUMNS": "200"})


@pytest.fixture
def workspace(write_workspace: Callable[[dict[str, str]], Path]) -> Path:
    root = write_workspace(WORKSPACE)
    assert run("ingest", "-w", str(root)).exit_code == 0
    return root


def test_table_shows_rank_score_and_source(workspace: Path) -> None:
    result = run("search", "manual", "reset button", "-w", str(workspace))
    assert result.exit_code == 0, result.output
    assert "knowledge/manual/reset.md > Router > Reset" in result.stdout
    first_row = next(line for line in result.stdout.splitlines() if "│ 1 " in line)
    assert "reset.md" in first_row


def test_json_output_with_top_k_and_tag_filter(workspace: Path) -> None:
    result = run("search", "manual", "reset", "--json", "--top-k", "1", "-w", str(workspace))
    [hit] = json.loads(result.stdout)
    assert hit["path"] == "knowledge/manual/reset.md" and 0 < hit["score"] <= 1
    assert set(hit) >= {"path", "heading", "score", "snippet", "chunk_id", "page"}
    legal = run("search", "manual", "reset", "--json", "--tag", "legal", "-w", str(workspace))
    assert [h["path"] for h in json.loads(legal.stdout)] == ["knowledge/legal/terms.md"]


def test_nothing_above_min_score_is_said_plainly(workspace: Path) -> None:
    result = run("search", "manual", "zebra", "--min-score", "0.9", "-w", str(workspace))
    assert result.exit_code == 0
    assert "no chunk of 'manual' scores at least 0.9 for: zebra" in result.stdout


def test_collection_never_ingested(write_workspace: Callable[[dict[str, str]], Path]) -> None:
    root = write_workspace(WORKSPACE)
    result = run("search", "manual", "reset", "-w", str(root))
    assert result.exit_code == 1
    assert (
        "has not been ingested yet" in result.output and "springlet ingest manual" in result.output
    )
