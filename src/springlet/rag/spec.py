"""The knowledge collection spec: `knowledge/<name>.yaml` (or `collections:` in springlet.yaml)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from springlet.models.reference import EmbeddingReference
from springlet.spec_base import Spec


class SourceSpec(Spec):
    """Where a collection's documents are: a folder (or file) and a glob inside it."""

    path: str
    """Relative to the workspace root."""
    glob: str = "**/*"
    tags: list[str] = Field(default_factory=list)
    """Tags attached to every chunk from this source, for retrieval filters."""


class SplitterSpec(Spec):
    """How documents are cut into chunks (sizes in characters; CJK-aware separators)."""

    chunk_size: int = Field(default=800, ge=50, le=100_000)
    chunk_overlap: int = Field(default=100, ge=0)

    @model_validator(mode="after")
    def _overlap_below_size(self) -> SplitterSpec:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError(
                f"chunk_overlap ({self.chunk_overlap}) must be smaller than "
                f"chunk_size ({self.chunk_size})"
            )
        return self


class CollectionSpec(Spec):
    """A named set of documents, indexed with one pinned embedding model."""

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_.-]*$")
    description: str | None = None
    sources: list[SourceSpec] = Field(min_length=1)
    splitter: SplitterSpec = Field(default_factory=SplitterSpec)
    embeddings: EmbeddingReference | None = None
    """Falls back to the workspace `embeddings`; the index refuses any other embedder."""
    store: Literal["sqlite", "pgvector", "qdrant"] = "sqlite"
    url: str | None = None
    """Connection URL for the pgvector / qdrant stores."""

    @model_validator(mode="after")
    def _server_stores_need_url(self) -> CollectionSpec:
        if self.store != "sqlite" and not self.url:
            raise ValueError(f"store '{self.store}' needs a connection `url:`")
        return self
