"""Knowledge files that cannot be read, or change while ingesting: one bad file never
stops an ingest; it is skipped with a warning naming it, and the exit code says so."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from springlet.cli import main
from springlet.rag import ingest as ingest_module
from springlet.workspace.knowledge import WorkspaceKnowledge, close_shared_stores
from springlet.workspace.loader import load_workspace_files

SETTINGS = "embeddings: scripted:words\n"
COLLECTION = """name: manual
sources:
  - path: knowledge/manual/
    glob: "*"
splitter: {chunk_size: 200, chunk_overlap: 20}
"""


@pytest.fixture(autouse=True)
def _fresh_stores() -> Iterator[None]:
    yield
    close_shared_stores()


def workspace(root: Path, files: dict[str, bytes]) -> Path:
    (root / "knowledge" / "manual").mkdir(parents=True)
    (root / "springlet.yaml").write_text(SETTINGS)
    (root / "knowledge" / "manual.yaml").write_text(COLLECTION)
    for name, data in files.items():
        (root / "knowledge" / "manual" / name).write_bytes(data)
    return root


def run(*argv: str) -> Result:
    return CliRunner().invoke(main, list(argv), env={"COLUMNS": "200"})


def good_files(count: int) -> dict[str, bytes]:
    return {
        f"doc{i:03}.md": f"# Doc {i}\n\nPlain text number {i}.\n".encode() for i in range(count)
    }


def test_undecodable_and_binary_files_are_skipped_or_decoded_and_the_rest_indexed(
    tmp_path: Path,
) -> None:
    files = {
        **good_files(30),
        "latin1.md": "# Caf\xe9\n\nD\xe9j\xe0 vu, cr\xe8me br\xfbl\xe9e.\n".encode("latin-1"),
        "utf16.md": "# Wide\n\nUTF-16 with its BOM.\n".encode("utf-16"),
        "bom8.txt": b"\xef\xbb\xbfUTF-8 with a BOM.\n",
        "binary.md": bytes(range(256)) * 4,
    }
    root = workspace(tmp_path / "ws", files)
    result = run("ingest", "manual", "-w", str(root))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "chardet" not in result.output
    assert "skipped knowledge/manual/binary.md: it is a binary file" in result.stderr
    assert "latin1.md is not UTF-8" in result.stderr
    assert "1 file could not be read" in result.stderr
    assert "manual: 34 files" in result.stdout and "1 skipped" in result.stdout
    knowledge = WorkspaceKnowledge(load_workspace_files(root))
    retriever = knowledge.retriever("manual")
    texts = [s.text for s in retriever.retrieve("Déjà vu crème", top_k=40, mmr_lambda=None)]
    assert any("Déjà vu, crème brûlée." in t for t in texts)
    assert any("UTF-16 with its BOM." in t for t in texts)
    assert not any(t.startswith("\ufeff") for t in texts)


def test_json_report_lists_skipped_files(tmp_path: Path) -> None:
    root = workspace(tmp_path / "ws", {**good_files(2), "binary.md": b"\x00\x01\x02" * 100})
    result = run("ingest", "manual", "--json", "-w", str(root))
    assert result.exit_code == 1
    report = json.loads(result.stdout.strip())
    assert report["skipped"] == [
        {"path": "knowledge/manual/binary.md", "reason": "it is a binary file, not text"}
    ]
    assert report["files"] == 3 and report["chunks"] == 2


def test_a_file_deleted_while_ingesting_is_skipped_and_the_rest_indexed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = workspace(tmp_path / "ws", good_files(100))
    victim = root / "knowledge" / "manual" / "doc050.md"
    real_load = ingest_module.load_file

    def load_and_delete(path: Path, source: str, *args: Any) -> Any:
        if path.name == "doc002.md":
            victim.unlink()  # gone after it was listed and hashed
        return real_load(path, source, *args)

    monkeypatch.setattr(ingest_module, "load_file", load_and_delete)
    report = WorkspaceKnowledge(load_workspace_files(root)).ingest("manual")
    assert [(s.path, s.reason) for s in report.skipped] == [
        ("knowledge/manual/doc050.md", "the file is gone (deleted while ingesting?)")
    ]
    assert report.chunks == 99
