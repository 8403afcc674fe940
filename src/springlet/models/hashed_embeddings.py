"""Deterministic embeddings for tests: `scripted:NAME` embeddings, no model needed.

Each text becomes a unit vector of hashed word counts, so texts that share words are
close and the same text always gives the same vector (the Ollama test server's
`/api/embed` uses the same function).
"""

from __future__ import annotations

import hashlib
import math
import re

from langchain_core.embeddings import Embeddings

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


def hashed_embedding(text: str, dimension: int) -> list[float]:
    """A deterministic unit vector: hashed word counts, so texts sharing words are close."""
    vector = [0.0] * dimension
    for word in re.findall(r"\w+", text.lower()):
        digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
        bucket = int.from_bytes(digest[:4], "little") % dimension
        vector[bucket] += 1.0 if digest[4] % 2 == 0 else -1.0
    norm = math.sqrt(sum(v * v for v in vector))
    if norm == 0:
        vector[0] = 1.0
        return vector
    return [v / norm for v in vector]
