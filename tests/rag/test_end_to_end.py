"""End to end on the embedded models: the example workspace's manual, ingested with
MiniLM, answers a question only the manual knows, and the run cites the right file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

AGENT = """
name: manual-bot
description: Answers from the ACME manual only.
model: embedded:smollm2
options: {temperature: 0}
instructions: Answer with the exact words of the knowledge base passage that answers the question.
knowledge:
  - collection: manual
    top_k: 1
    min_score: 0.3
"""


@pytest.mark.slow
def test_agent_answers_from_the_manual_and_cites_it(
    tmp_path: Path, example_workspace: Path
) -> None:
    import springlet
    from springlet.workspace.knowledge import WorkspaceKnowledge, close_shared_stores
    from springlet.workspace.loader import load_workspace_files

    root = tmp_path / "acme"
    shutil.copytree(example_workspace, root, ignore=shutil.ignore_patterns(".springlet"))
    (root / "agents" / "manual-bot.yaml").write_text(AGENT, encoding="utf-8")
    report = WorkspaceKnowledge(load_workspace_files(root)).ingest("manual")
    assert report.chunks > 0
    close_shared_stores()

    result = (
        springlet.load_workspace(root)
        .agent("manual-bot")
        .run("How many hours should I charge the RS-200 before first use?")
    )
    assert result.ok, result.error
    assert result.sources, "the run reports the passages it was given"
    assert result.sources[0]["path"] == "knowledge/manual/rocket-skates.md"
    assert "Charging" in result.sources[0]["heading"]
    assert "4 hours" in result.sources[0]["snippet"]  # the passage the answer is written from
    assert result.text.strip()  # its words depend on the CPU's floating-point path
