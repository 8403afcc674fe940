"""Fixtures for the knowledge tests: files in tmp_path, a store, a counting embedder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from springlet.rag.ingest import IngestReport, ingest_collection
from springlet.rag.retriever import Retriever
from springlet.rag.spec import CollectionSpec
from springlet.rag.store import EmbedderInfo, KnowledgeStore
from springlet.testing.hashed_embeddings import HashedEmbeddings


class CountingEmbeddings(HashedEmbeddings):
    """Hashed word embeddings that count every text they embed."""

    def __init__(self, dimension: int = 64) -> None:
        super().__init__("counting", dimension)
        self.embedded = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.embedded += len(texts)
        return super().embed_documents(texts)

    @property
    def info(self) -> EmbedderInfo:
        return EmbedderInfo(self.identity, self.dimension, True)


class Corpus:
    """A folder of documents, a collection over it, and a store to ingest it into."""

    def __init__(self, root: Path, store: KnowledgeStore) -> None:
        self.root = root
        self.store = store
        self.embeddings = CountingEmbeddings()
        self.spec = CollectionSpec(
            name="docs",
            sources=[{"path": "docs/"}],  # type: ignore[list-item]
            splitter={"chunk_size": 200, "chunk_overlap": 20},  # type: ignore[arg-type]
        )

    def write(self, files: dict[str, str]) -> None:
        for name, text in files.items():
            path = self.root / "docs" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")

    def ingest(self, **options: Any) -> IngestReport:
        return ingest_collection(
            self.spec, self.root, self.store, self.embeddings, self.embeddings.info, **options
        )

    def retriever(self) -> Retriever:
        return Retriever(self.store, self.spec.name, self.embeddings, self.embeddings.info)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[KnowledgeStore]:
    opened = KnowledgeStore(tmp_path / "knowledge.sqlite")
    yield opened
    opened.close()


@pytest.fixture
def corpus(tmp_path: Path, store: KnowledgeStore) -> Corpus:
    (tmp_path / "docs").mkdir()
    return Corpus(tmp_path, store)


def _pdf_bytes(pages: list[str]) -> bytes:
    """A minimal valid PDF with one line of Helvetica text per page."""
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
    kids = []
    font_id = 3
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for text in pages:
        stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        content_id = len(objects)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R"
            b" /Resources << /Font << /F1 %d 0 R >> >> >>" % (content_id, font_id)
        )
        kids.append(len(objects))
    kid_refs = " ".join(f"{k} 0 R" for k in kids).encode()
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kid_refs, len(kids))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


@pytest.fixture
def make_pdf() -> Callable[[Path, list[str]], Path]:
    def make(path: Path, pages: list[str]) -> Path:
        path.write_bytes(_pdf_bytes(pages))
        return path

    return make
