"""Recording a retrieval that does not run as a LangChain retriever (springlet's RAG
layer, a custom search tool): one call inside the run, and it shows in the trace as a
retrieval span below whatever runnable (tool, advisor) made it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

RETRIEVAL_EVENT = "springlet.retrieval"


def record_retrieval(
    collection: str,
    query: str,
    sources: Sequence[Mapping[str, Any]],
    *,
    duration_ms: float | None = None,
) -> bool:
    """Add a retrieval span to the current run's trace; `sources` are dicts such as
    `{"source": "returns.md", "score": 0.91, "text": "..."}`. Returns False (and does
    nothing) outside a traced LangChain run, so callers never need to check."""
    from langchain_core.callbacks import dispatch_custom_event

    data = {
        "collection": collection,
        "query": query,
        "sources": [dict(source) for source in sources],
        "duration_ms": duration_ms,
    }
    try:
        dispatch_custom_event(RETRIEVAL_EVENT, data)
    except RuntimeError:  # not inside a runnable: no run to attach it to
        return False
    return True
