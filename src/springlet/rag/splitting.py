"""Cut sections into chunks, respecting paragraphs and sentences in any script.

Chinese and Japanese sentences have no spaces between words, so the separators include
the full-width sentence ends 。！？；… next to the Latin ones; a chunk is cut inside a
sentence only when that sentence alone is longer than `chunk_size`. Sizes count
characters (`len`), which for CJK text is close to what a reader counts.
"""

from __future__ import annotations

from dataclasses import dataclass

from langchain_core.documents import Document
from langchain_text_splitters import RecursiveCharacterTextSplitter

from springlet.rag.spec import SplitterSpec

SEPARATORS = [
    "\n\n",
    "\n",
    "。",
    "！",
    "？",
    "；",
    "…",
    "! ",
    "? ",
    ". ",
    "; ",
    "，",
    "、",
    ", ",
    " ",
    "",
]


@dataclass(frozen=True)
class Chunk:
    """A piece of a document ready to embed, with where it came from."""

    text: str
    source: str
    title: str
    heading: str
    page: int | None
    start: int
    end: int


def make_splitter(spec: SplitterSpec) -> RecursiveCharacterTextSplitter:
    return RecursiveCharacterTextSplitter(
        separators=SEPARATORS,
        keep_separator="end",  # a sentence keeps its own full stop
        chunk_size=spec.chunk_size,
        chunk_overlap=spec.chunk_overlap,
        length_function=len,
        add_start_index=True,
        strip_whitespace=True,
    )


def split_sections(sections: list[Document], spec: SplitterSpec) -> list[Chunk]:
    """The chunks of a file's sections, in document order."""
    splitter = make_splitter(spec)
    chunks: list[Chunk] = []
    for piece in splitter.split_documents(sections):
        meta = piece.metadata
        start = int(meta["offset"]) + max(int(meta.get("start_index", 0)), 0)
        chunks.append(
            Chunk(
                text=piece.page_content,
                source=str(meta["source"]),
                title=str(meta.get("title", "")),
                heading=str(meta.get("heading", "")),
                page=meta.get("page"),
                start=start,
                end=start + len(piece.page_content),
            )
        )
    return chunks
