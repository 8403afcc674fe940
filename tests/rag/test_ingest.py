"""Ingest is idempotent and incremental, survives kill -9, and is pinned to its embedder.

Every test that takes `corpus` runs on both stores (SQLite and PostgreSQL + pgvector).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from typing import Any

import pytest

from springlet.rag.ingest import IngestProgress
from springlet.rag.store import EmbedderInfo, EmbedderMismatchError

PARAGRAPH = "Refunds are processed within five business days after the item arrives. "


def _doc(topic: str, paragraphs: int = 3) -> str:
    body = "\n\n".join(f"{topic} part {i}. {PARAGRAPH * 2}" for i in range(paragraphs))
    return f"# {topic}\n\n{body}\n"


def test_second_ingest_embeds_nothing(corpus: Any) -> None:
    corpus.write({"a.md": _doc("Returns"), "b.md": _doc("Shipping"), "c.txt": "Hours: 9-5."})
    first = corpus.ingest()
    assert first.changed == 3 and first.embedded == first.chunks > 3
    embedded_so_far = corpus.embeddings.embedded
    second = corpus.ingest()
    assert corpus.embeddings.embedded == embedded_so_far
    assert (second.changed, second.embedded, second.deleted) == (0, 0, 0)
    assert second.chunks == first.chunks


def test_changed_file_replaces_its_chunks_and_deleted_file_disappears(corpus: Any) -> None:
    corpus.write({"a.md": _doc("Returns"), "b.md": _doc("Shipping")})
    corpus.ingest()
    corpus.write({"a.md": "# Returns\n\nReturns now need a receipt from the store.\n"})
    (corpus.root / "docs" / "b.md").unlink()
    report = corpus.ingest()
    assert (report.changed, report.deleted, report.chunks) == (1, 1, 1)
    [hit] = corpus.retriever().retrieve("receipt", top_k=5)
    assert hit.path == "docs/a.md" and "receipt" in hit.text
    assert not corpus.retriever().retrieve("Shipping part", top_k=5, min_score=0.5)


def test_unchanged_chunks_of_a_changed_file_reuse_their_vectors(corpus: Any) -> None:
    corpus.write({"a.md": _doc("Returns", paragraphs=4)})
    first = corpus.ingest()
    corpus.write({"a.md": _doc("Returns", paragraphs=4) + "\nOne new closing line.\n"})
    second = corpus.ingest()
    assert second.changed == 1
    assert second.embedded < first.embedded
    assert second.reused >= 1


def test_progress_is_reported_per_file(corpus: Any) -> None:
    corpus.write({"a.md": _doc("A"), "b.md": _doc("B")})
    seen: list[IngestProgress] = []
    corpus.ingest(progress=seen.append)
    assert [(p.done, p.total) for p in seen] == [(1, 2), (2, 2)]
    assert {p.path for p in seen} == {"docs/a.md", "docs/b.md"}


def test_ingest_with_another_embedder_is_refused_until_rebuild(corpus: Any) -> None:
    corpus.write({"a.md": _doc("Returns")})
    corpus.ingest()
    other = EmbedderInfo("ollama:nomic-embed-text@0a1b2c3d4e5f", 768, True)
    with pytest.raises(EmbedderMismatchError) as caught:
        corpus.store.pin_collection("docs", other, rebuild=False)
    message = str(caught.value)
    assert "scripted:counting@hash-64" in message and "ollama:nomic-embed-text" in message
    assert "springlet ingest docs --rebuild" in message
    with pytest.raises(EmbedderMismatchError):
        corpus.store.open_collection("docs", other)  # querying is refused the same way
    corpus.store.pin_collection("docs", other, rebuild=True)
    assert corpus.store.pinned_embedder("docs")[1] == other


def test_rebuild_embeds_everything_again(corpus: Any) -> None:
    corpus.write({"a.md": _doc("Returns")})
    first = corpus.ingest()
    again = corpus.ingest(rebuild=True)
    assert again.embedded == first.embedded and again.chunks == first.chunks


def test_missing_source_folder_is_a_clear_error(corpus: Any) -> None:
    (corpus.root / "docs").rmdir()
    with pytest.raises(Exception, match="source path docs/ does not exist"):
        corpus.ingest()


SLOW_INGEST = """
import sys, time
from pathlib import Path
from springlet.rag.ingest import ingest_collection
from springlet.rag.spec import CollectionSpec
from springlet.rag.store import EmbedderInfo, SqliteKnowledgeStore
from springlet.models.hashed_embeddings import HashedEmbeddings


def open_store(location):
    if location.startswith("postgresql://"):
        from springlet.rag.pg_connect import pg_target
        from springlet.rag.pgvector_store import PgVectorStore

        return PgVectorStore(pg_target(location, "docs"))
    return SqliteKnowledgeStore(Path(location))

class Slow(HashedEmbeddings):
    def embed_documents(self, texts):
        vectors = super().embed_documents(texts)
        print("embedded", len(texts), flush=True)
        time.sleep(0.4)
        return vectors

root = Path(sys.argv[1])
spec = CollectionSpec(name="docs", sources=[{"path": "docs/"}],
                      splitter={"chunk_size": 200, "chunk_overlap": 20})
embedder = Slow("counting", 64)
ingest_collection(spec, root, open_store(sys.argv[2]), embedder,
                  EmbedderInfo(embedder.identity, 64, True))
print("finished", flush=True)
"""


def test_ingest_killed_mid_way_leaves_a_consistent_index_and_resumes(corpus: Any) -> None:
    corpus.write({f"doc{i:02d}.md": _doc(f"Topic {i}", paragraphs=4) for i in range(40)})
    script = corpus.root / "slow_ingest.py"
    script.write_text(textwrap.dedent(SLOW_INGEST), encoding="utf-8")
    child = subprocess.Popen(
        [sys.executable, str(script), str(corpus.root), corpus.backend.location],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    lines = [child.stdout.readline(), child.stdout.readline()]  # two groups embedded
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    assert all(line.startswith("embedded") for line in lines), lines

    cid = corpus.store.pinned_embedder("docs")[0]
    counts = corpus.backend.integrity(cid)
    assert counts["chunks"] == counts["vectors"] == counts["lexical"]
    assert counts["orphans"] == 0
    assert 0 < counts["files"] < 40  # some groups committed, not all

    report = corpus.ingest()
    assert report.changed == 40 - counts["files"]
    assert report.files == 40
    final = corpus.backend.integrity(cid)
    assert final["files"] == 40 and final["chunks"] == final["vectors"] == final["lexical"]
    assert corpus.ingest().embedded == 0
