"""Knowledge (RAG): collections loaded, split, embedded, stored, retrieved with sources.

Modules: `spec` (the collection spec, pure data), `loaders`, `splitting`,
`store_protocol` (what a store must do, and the embedder pin), `store` (the SQLite store:
sqlite-vec + FTS5, the embedded default), `pgvector_store` with `pg_connect` (PostgreSQL +
pgvector, configured by URL), `ingest`, `retriever` (hybrid search, filters, MMR),
`sources` (a retrieved passage and where it came from). A workspace's collections are
`springlet.workspace.knowledge`; the retrieval advisor is agent middleware
(`springlet.agents.retrieval_advisor`).

Public names are imported lazily: `springlet.rag.spec` sits on the light `validate`
path, and importing this package must not pull LangChain or sqlite-vec in with it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from springlet.rag.ingest import IngestReport
    from springlet.rag.retriever import Retriever
    from springlet.rag.sources import Source
    from springlet.rag.store import CollectionNotIndexedError, EmbedderMismatchError

_EXPORTS = {
    "IngestReport": "springlet.rag.ingest",
    "Retriever": "springlet.rag.retriever",
    "Source": "springlet.rag.sources",
    "CollectionNotIndexedError": "springlet.rag.store",
    "EmbedderMismatchError": "springlet.rag.store",
}

__all__ = [
    "CollectionNotIndexedError",
    "EmbedderMismatchError",
    "IngestReport",
    "Retriever",
    "Source",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'springlet.rag' has no attribute '{name}'")
    return getattr(importlib.import_module(module), name)
