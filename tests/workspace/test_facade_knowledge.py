"""ws.knowledge on a real SQLite collection embedded with the hashed test embedder."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest

from springlet import NotFoundError, load_workspace
from springlet.workspace import CollectionInfo, IngestProgress, SearchHit

COLLECTION = (
    "name: manual\ndescription: The manual.\nsources:\n  - path: docs/\n"
    "embeddings: scripted:words\n"
)


def make(tmp_path: Path, files: int = 3) -> Path:
    root = tmp_path / "ws"
    (root / "knowledge").mkdir(parents=True)
    (root / "docs").mkdir()
    (root / "knowledge" / "manual.yaml").write_text(COLLECTION)
    for i in range(files):
        (root / "docs" / f"page{i}.md").write_text(f"# Page {i}\n\nKettle topic number {i}.\n")
    return root


def test_list_before_and_after_ingest_then_stale_files(tmp_path: Path) -> None:
    root = make(tmp_path)
    ws = load_workspace(root, tracing=False)
    [before] = ws.knowledge.list()
    assert isinstance(before, CollectionInfo)
    assert (before.ingested, before.files, before.chunks, before.stale_files) == (False, 0, 0, 3)
    assert before.embedder == "scripted:words" and before.store == "sqlite"
    seen: list[IngestProgress] = []
    report = ws.knowledge.ingest("manual", on_progress=seen.append)
    assert report.files == 3 and not report.cancelled
    assert [p.done for p in seen] == [1, 2, 3] and seen[0].collection == "manual"
    [after] = ws.knowledge.list()
    assert (after.ingested, after.files, after.chunks, after.stale_files) == (True, 3, 3, 0)
    assert after.last_ingest is not None
    (root / "docs" / "page0.md").write_text("# Page 0\n\nChanged.\n")
    (root / "docs" / "page9.md").write_text("# New\n\nA new page.\n")
    assert ws.knowledge.list()[0].stale_files == 2


def test_cancel_stops_between_groups_and_keeps_what_was_committed(tmp_path: Path) -> None:
    from springlet.rag import ingest

    root = make(tmp_path, files=6)
    ws = load_workspace(root, tracing=False)
    cancel = threading.Event()

    def stop_after_first(progress: IngestProgress) -> None:
        cancel.set()

    original = ingest.EMBED_BATCH
    ingest.EMBED_BATCH = 1  # one file per committed group
    try:
        report = ws.knowledge.ingest("manual", on_progress=stop_after_first, cancel=cancel)
    finally:
        ingest.EMBED_BATCH = original
    assert report.cancelled
    [info] = ws.knowledge.list()
    assert info.files == 1 and info.stale_files == 5 and info.last_ingest is None
    again = ws.knowledge.ingest("manual")  # resumes: only the rest is read
    assert (again.changed, again.cancelled) == (5, False)


def test_search_and_unknown_collection(tmp_path: Path) -> None:
    ws = load_workspace(make(tmp_path), tracing=False)
    ws.knowledge.ingest("manual")
    hits = ws.knowledge.search("manual", "kettle topic number 2", top_k=2)
    assert isinstance(hits[0], SearchHit)
    assert hits[0].source == "docs/page2.md" and hits[0].heading == "Page 2"
    assert 0 < hits[0].score <= 1 and isinstance(hits[0].chunk_id, int)
    with pytest.raises(NotFoundError, match="no collection named 'nope'"):
        ws.knowledge.ingest("nope")


def test_aingest_reports_progress(tmp_path: Path) -> None:
    ws = load_workspace(make(tmp_path), tracing=False)
    seen: list[IngestProgress] = []
    report = asyncio.run(ws.knowledge.aingest("manual", on_progress=seen.append))
    assert report.files == 3 and len(seen) == 3


def test_cancelling_aingest_stops_after_the_group_being_written(tmp_path: Path) -> None:
    from springlet.rag import ingest

    ws = load_workspace(make(tmp_path, files=5), tracing=False)

    async def cancel_after_first_file() -> None:
        loop = asyncio.get_running_loop()
        task: asyncio.Task[object] | None = None
        asked = threading.Event()

        def on_progress(progress: IngestProgress) -> None:
            # called in the ingest's thread: hold it until the loop has cancelled the
            # task, or a busy machine lets it finish every file first
            assert task is not None
            if asked.is_set():
                return
            asked.set()
            loop.call_soon_threadsafe(task.cancel)
            deadline = time.monotonic() + 10
            while not task.cancelling() and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(0.3)  # and the cancelled coroutine has set the ingest's flag

        task = asyncio.ensure_future(ws.knowledge.aingest("manual", on_progress=on_progress))
        with pytest.raises(asyncio.CancelledError):
            await task

    original = ingest.EMBED_BATCH
    ingest.EMBED_BATCH = 1
    try:
        asyncio.run(cancel_after_first_file())
    finally:
        ingest.EMBED_BATCH = original
    [info] = ws.knowledge.list()
    assert 1 <= info.files < 5 and info.stale_files == 5 - info.files
