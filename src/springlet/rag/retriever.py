"""Retrieval: hybrid lexical + vector search with scores in [0, 1], filters and MMR.

    retriever = Retriever(store, "manual", embeddings, embedder_info)
    sources = retriever.retrieve("How do I reset SKU-4471-B?", top_k=4, min_score=0.3)

How a score is made (hybrid mode, the default):

1. Candidates: the `fetch_k` nearest chunks by vector (cosine) plus the `fetch_k` best
   chunks containing any of the query's words (the store's full-text index: SQLite FTS5
   ranked by BM25, or a PostgreSQL tsvector of exactly these words ranked by `ts_rank`).
2. Each candidate gets a semantic score `v = max(0, cosine similarity)` and a lexical
   score `l` = the share of the query's distinct content words (stop words dropped;
   CJK characters count one by one) that occur in the chunk, its title or heading.
3. Fused score = `0.7 * v + 0.3 * l` (a convex combination: unlike rank fusion it keeps
   an absolute meaning, so `min_score` can say "nothing relevant"). A query made only of
   stop words is scored by `v` alone. `mode="vector"` scores by `v`, `"lexical"` by `l`.
4. Chunks below `min_score` are dropped; maximal marginal relevance (MMR, lambda 0.7 by
   default, `mmr_lambda=None` to skip) then picks `top_k` that are relevant but not
   near-duplicates of each other.

Filters: `sources` (globs on the workspace-relative path, `fnmatch` rules) and `tags`
(a chunk qualifies when its source carries any of them) restrict the search before
ranking. An empty list is a valid answer: callers must say the documents do not cover
the question (see `RetrievalAdvisor`).
"""

from __future__ import annotations

import asyncio
import fnmatch
import re
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from langchain_core.embeddings import Embeddings

from springlet.rag.sources import Source
from springlet.rag.store_protocol import EmbedderInfo, KnowledgeBackend

VECTOR_WEIGHT = 0.7
LEXICAL_WEIGHT = 0.3
DEFAULT_MMR_LAMBDA = 0.7

SearchMode = Literal["hybrid", "vector", "lexical"]

_WORD = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]|[^\W_]+", re.UNICODE
)
_STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "how",
        "i",
        "if",
        "in",
        "is",
        "it",
        "its",
        "me",
        "my",
        "no",
        "not",
        "of",
        "on",
        "or",
        "our",
        "so",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "this",
        "to",
        "was",
        "we",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "you",
        "your",
    ]
)


def query_terms(text: str) -> list[str]:
    """The distinct content words of a text, lower-cased, in order."""
    words = [w.lower() for w in _WORD.findall(text)]
    return list(dict.fromkeys(w for w in words if w not in _STOP_WORDS))


class Retriever:
    """Scored passages from one collection; the query embedder must match the index."""

    def __init__(
        self,
        store: KnowledgeBackend,
        collection: str,
        embeddings: Embeddings,
        embedder: EmbedderInfo,
        *,
        description: str | None = None,
    ) -> None:
        self.store = store
        self.collection = collection
        self.embeddings = embeddings
        self.embedder = embedder
        self.description = description

    def retrieve(
        self,
        query: str,
        *,
        top_k: int = 4,
        min_score: float = 0.0,
        sources: Sequence[str] = (),
        tags: Sequence[str] = (),
        mode: SearchMode = "hybrid",
        mmr_lambda: float | None = DEFAULT_MMR_LAMBDA,
        fetch_k: int | None = None,
    ) -> list[Source]:
        """The best `top_k` passages scoring at least `min_score`, best first."""
        cid = self.store.open_collection(self.collection, self.embedder)
        within = self._filtered_ids(cid, sources, tags)
        if within is not None and not within:
            return []
        fetch = fetch_k or max(4 * top_k, 20)
        terms = query_terms(query)
        query_vec = np.asarray(self.embeddings.embed_query(query), dtype=np.float32).tobytes()
        distances: dict[int, float] = {}
        if mode != "lexical":
            distances.update(self.store.nearest(cid, query_vec, fetch, within))
        lexical_ids = self.store.lexical(cid, terms, fetch, within) if terms else []
        missing = [i for i in lexical_ids if i not in distances]
        if missing:
            distances.update(self.store.distances(cid, query_vec, missing))
        rows = self.store.chunks(list(distances))
        scored = [
            (chunk_id, _score(mode, 1.0 - distances[chunk_id], terms, row))
            for chunk_id, row in rows.items()
        ]
        kept = sorted(((i, s) for i, s in scored if s >= min_score), key=lambda p: -p[1])
        if mmr_lambda is not None and len(kept) > top_k:
            kept = self._mmr(cid, kept, top_k, mmr_lambda)
        return [self._source(rows[i], s) for i, s in kept[:top_k]]

    async def aretrieve(self, query: str, **options: Any) -> list[Source]:
        """`retrieve` off the event loop (the store and the embedder block)."""
        return await asyncio.to_thread(lambda: self.retrieve(query, **options))

    def _filtered_ids(
        self, cid: int, sources: Sequence[str], tags: Sequence[str]
    ) -> list[int] | None:
        if not sources and not tags:
            return None
        wanted_tags = set(tags)
        paths = [
            path
            for path, file_tags in self.store.file_tags(cid).items()
            if (not sources or any(fnmatch.fnmatch(path, g) for g in sources))
            and (not wanted_tags or wanted_tags.intersection(file_tags))
        ]
        return self.store.chunk_ids_of(cid, paths)

    def _mmr(
        self, cid: int, ranked: list[tuple[int, float]], top_k: int, lam: float
    ) -> list[tuple[int, float]]:
        vectors = self.store.vectors(cid, [i for i, _ in ranked])
        unit = {i: v / (np.linalg.norm(v) or 1.0) for i, v in vectors.items()}
        chosen: list[tuple[int, float]] = []
        pool = list(ranked)
        while pool and len(chosen) < top_k:

            def gain(item: tuple[int, float]) -> float:
                redundancy = max((float(unit[item[0]] @ unit[c]) for c, _ in chosen), default=0.0)
                return lam * item[1] - (1.0 - lam) * redundancy

            best = max(pool, key=gain)
            chosen.append(best)
            pool.remove(best)
        return chosen

    def _source(self, row: dict[str, Any], score: float) -> Source:
        return Source(
            collection=self.collection,
            chunk_id=int(row["id"]),
            path=str(row["path"]),
            heading=str(row["heading"]),
            title=str(row["title"]),
            page=row["page"],
            start=int(row["start"]),
            end=int(row["end"]),
            score=score,
            text=str(row["text"]),
        )


def _score(mode: SearchMode, cosine: float, terms: list[str], row: dict[str, Any]) -> float:
    semantic = min(max(cosine, 0.0), 1.0)
    if mode == "vector" or (mode == "hybrid" and not terms):
        return semantic
    present = set(query_terms(f"{row['title']} {row['heading']} {row['text']}"))
    lexical = sum(1 for t in terms if t in present) / len(terms) if terms else 0.0
    if mode == "lexical":
        return lexical
    return VECTOR_WEIGHT * semantic + LEXICAL_WEIGHT * lexical
