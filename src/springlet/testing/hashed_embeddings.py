"""Deterministic embeddings for tests: `scripted:NAME` embeddings, no model needed.

Each text becomes a unit vector of hashed word counts, so texts that share words are
close and the same text always gives the same vector (the Ollama test server's
`/api/embed` uses the same function).
"""

from __future__ import annotations

from langchain_core.embeddings import Embeddings

from springlet.testing.ollama_protocol import hashed_embedding

DEFAULT_DIMENSION = 64


class HashedEmbeddings(Embeddings):
    """Word-hashing embeddings: deterministic, normalized, instant."""

    def __init__(self, name: str = "hashed", dimension: int = DEFAULT_DIMENSION) -> None:
        self.name = name
        self.dimension = dimension

    @property
    def identity(self) -> str:
        return f"scripted:{self.name}@hash-{self.dimension}"

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [hashed_embedding(text, self.dimension) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        return hashed_embedding(text, self.dimension)
