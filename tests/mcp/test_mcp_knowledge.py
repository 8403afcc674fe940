"""An MCP server's resources as a knowledge source: fetched at ingest, indexed like
files, searched with their URI, and a resource the server stops listing leaves the index."""

from __future__ import annotations

from pathlib import Path

import pytest

import springlet
from springlet.errors import SpringletError
from springlet.rag.spec import CollectionSpec

from .conftest import SRC, stdio_server

COLLECTION = """
name: handbook
sources:
  - mcp: docs
    uri: "handbook://*"
embeddings: scripted:words
"""


def workspace(tmp_path: Path, *resources: str) -> Path:
    flags = [flag for resource in resources for flag in ("--resource", resource)]
    (tmp_path / "springlet.yaml").write_text("mcp_servers:\n  docs:\n" + stdio_server(*flags))
    (tmp_path / "knowledge").mkdir(exist_ok=True)
    (tmp_path / "knowledge" / "handbook.yaml").write_text(COLLECTION)
    return tmp_path


def test_resources_are_ingested_and_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPRINGLET_TEST_SRC", SRC)
    root = workspace(
        tmp_path,
        "handbook://holidays=Every employee has 25 days of paid holiday a year.",
        "handbook://expenses=Expenses are refunded within ten days of the receipt.",
        "other://ignored=Not part of the handbook.",
    )
    with springlet.load_workspace(root, tracing=False) as ws:
        assert [p for p in ws.problems if p.severity == "error"] == []
        report = ws.knowledge.ingest("handbook")
        assert report.files == 2  # the glob took the two handbook:// resources only
        [hit, *_] = ws.knowledge.search("handbook", "how many days of paid holiday")
        assert "25 days of paid holiday" in hit.text
        assert "handbook_holidays" in hit.source


def test_a_resource_no_longer_listed_leaves_the_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPRINGLET_TEST_SRC", SRC)
    root = workspace(tmp_path, "handbook://a=Alpha text.", "handbook://b=Beta text.")
    with springlet.load_workspace(root, tracing=False) as ws:
        assert ws.knowledge.ingest("handbook").files == 2
    workspace(tmp_path, "handbook://a=Alpha text.")  # the server now lists one
    with springlet.load_workspace(root, tracing=False) as ws:
        report = ws.knowledge.ingest("handbook")
        assert (report.files, report.deleted) == (1, 1)


def test_a_source_is_files_or_resources() -> None:
    with pytest.raises(ValueError, match="not both"):
        CollectionSpec(name="x", sources=[{"path": "docs/", "mcp": "docs", "uri": "a://*"}])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="needs both"):
        CollectionSpec(name="x", sources=[{"mcp": "docs"}])  # type: ignore[list-item]


def test_ingesting_resources_without_a_workspace_says_how(tmp_path: Path) -> None:
    from springlet.workspace.knowledge import WorkspaceKnowledge
    from springlet.workspace.loader import load_workspace_files

    root = workspace(tmp_path, "handbook://a=Alpha.")
    with pytest.raises(SpringletError, match="nothing here can reach MCP servers"):
        WorkspaceKnowledge(load_workspace_files(root)).ingest("handbook")


def test_springlet_ingest_and_search_read_the_resources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from springlet.cli import main

    monkeypatch.setenv("SPRINGLET_TEST_SRC", SRC)
    root = workspace(tmp_path, "handbook://holidays=Every employee has 25 days of holiday.")
    ingest = CliRunner().invoke(main, ["ingest", "-w", str(root)])
    assert ingest.exit_code == 0, ingest.output
    assert "handbook: 1 files" in ingest.output and "error" not in ingest.output
    found = CliRunner().invoke(main, ["search", "handbook", "holiday days", "-w", str(root)])
    assert found.exit_code == 0 and "25 days" in found.output
