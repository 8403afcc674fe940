"""Retrieval: hybrid fusion, scores in [0, 1], min_score, filters, MMR, CJK.

Tests taking `corpus`, `store` or `minilm_products` run on both stores (SQLite and
PostgreSQL + pgvector).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from springlet.models.minilm import MiniLMEmbeddings
from springlet.rag.ingest import ingest_collection
from springlet.rag.retriever import Retriever, query_terms
from springlet.rag.spec import CollectionSpec
from springlet.rag.store import CollectionNotIndexedError, EmbedderInfo, fts_match
from springlet.rag.store_protocol import KnowledgeBackend

from .conftest import BACKENDS, make_backend

PRODUCTS = {
    "bracket.md": "# Wall bracket\n\nPart SKU-4471-B is the steel wall bracket that holds "
    "the X200 on a wall.\n",
    "filter-a.md": "# Filters\n\nThe replacement filter SKU-4417-D fits the X200 purifier. "
    "Change the filter part every six months.\n",
    "filter-b.md": "# Pre-filter\n\nSKU-4471-C is the washable pre-filter part for the X300.\n",
    "parts.md": "# Spare parts\n\nSpare parts and their SKU numbers are listed on the "
    "packaging of each product part.\n",
    "sku.md": "# Product codes\n\nEvery SKU code has four digits and a letter, like SKU-1234-A.\n",
}


@pytest.fixture(scope="module", params=BACKENDS)
def minilm_products(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Retriever]:
    root = tmp_path_factory.mktemp("products")
    (root / "docs").mkdir()
    for name, text in PRODUCTS.items():
        (root / "docs" / name).write_text(text, encoding="utf-8")
    embeddings = MiniLMEmbeddings()
    info = EmbedderInfo(embeddings.identity, embeddings.dimension, True)
    spec = CollectionSpec(name="products", sources=[{"path": "docs/"}])  # type: ignore[list-item]
    store = make_backend(request.param, request, root / "knowledge.sqlite").open()
    ingest_collection(spec, root, store, embeddings, info)
    yield Retriever(store, "products", embeddings, info)
    store.close()


@pytest.mark.parametrize("query", ["SKU-4471-B", "Which part is SKU-4471-B?"])
def test_hybrid_beats_vector_only_on_an_exact_product_code(
    minilm_products: Retriever, query: str
) -> None:
    vector = minilm_products.retrieve(query, top_k=3, mode="vector", mmr_lambda=None)
    hybrid = minilm_products.retrieve(query, top_k=3, mode="hybrid", mmr_lambda=None)
    assert vector[0].path != "docs/bracket.md"  # the embedding alone misses the code
    assert hybrid[0].path == "docs/bracket.md"


def test_scores_are_in_unit_range_and_sorted(minilm_products: Retriever) -> None:
    for mode in ("hybrid", "vector", "lexical"):
        found = minilm_products.retrieve("replacement filter", top_k=5, mode=mode, mmr_lambda=None)
        scores = [s.score for s in found]
        assert scores == sorted(scores, reverse=True)
        assert all(0.0 <= s <= 1.0 for s in scores)


def test_nothing_clears_min_score_for_an_unrelated_question(minilm_products: Retriever) -> None:
    assert minilm_products.retrieve("Who won the 1998 football world cup?", min_score=0.3) == []
    assert minilm_products.retrieve("wall bracket for the X200", min_score=0.3)


def _write_tagged_corpus(corpus: Any) -> None:
    corpus.write(
        {
            "guides/returns.md": "# Returns\n\nReturns are accepted within 30 days.\n",
            "guides/shipping.md": "# Shipping\n\nShipping takes 3 days; returns go by post.\n",
            "legal/terms.md": "# Terms\n\nReturns of opened software are not accepted.\n",
        }
    )
    corpus.spec = corpus.spec.model_copy(
        update={
            "sources": [
                corpus.spec.sources[0].model_copy(
                    update={"path": "docs/guides", "tags": ["guide"]}
                ),
                corpus.spec.sources[0].model_copy(update={"path": "docs/legal", "tags": ["legal"]}),
            ]
        }
    )
    corpus.ingest()


def test_source_glob_and_tag_filters(corpus: Any) -> None:
    _write_tagged_corpus(corpus)
    retriever = corpus.retriever()
    every = {s.path for s in retriever.retrieve("returns", top_k=10)}
    assert every == {"docs/guides/returns.md", "docs/guides/shipping.md", "docs/legal/terms.md"}
    legal = retriever.retrieve("returns", top_k=10, sources=["docs/legal/*"])
    assert {s.path for s in legal} == {"docs/legal/terms.md"}
    guides = retriever.retrieve("returns", top_k=10, tags=["guide"])
    assert {s.path for s in guides} == {"docs/guides/returns.md", "docs/guides/shipping.md"}
    assert retriever.retrieve("returns", sources=["nothing/*"]) == []


def test_mmr_prefers_a_different_passage_over_a_duplicate(corpus: Any) -> None:
    same = "# Battery\n\nCharge the battery for eight hours before first use.\n"
    corpus.write(
        {
            "a.md": same,
            "b.md": same,
            "c.md": "# Battery life\n\nThe battery lasts two days of normal use.\n",
        }
    )
    corpus.ingest()
    retriever = corpus.retriever()
    plain = retriever.retrieve("charge the battery", top_k=2, mmr_lambda=None)
    diverse = retriever.retrieve("charge the battery", top_k=2, mmr_lambda=0.5)
    assert plain[0].text == plain[1].text
    assert "docs/c.md" in {s.path for s in diverse}


def test_lexical_search_finds_chinese_words(corpus: Any) -> None:
    corpus.write(
        {
            "zh.txt": "退货政策：商品在收到后三十天内可以退货。",
            "en.txt": "Opening hours are nine to five.",
        }
    )
    corpus.ingest()
    [hit] = corpus.retriever().retrieve("退货", top_k=1, mode="lexical", min_score=0.5)
    assert hit.path == "docs/zh.txt"


def test_sources_describe_themselves(corpus: Any) -> None:
    corpus.write({"a.md": "# Guide\n\n## Reset\n\nHold the reset button.\n"})
    corpus.ingest()
    [source] = corpus.retriever().retrieve("reset button", top_k=1)
    data = source.to_dict()
    assert data["path"] == "docs/a.md" and data["heading"] == "Guide > Reset"
    assert source.citation == "docs/a.md > Guide > Reset"
    assert data["snippet"] == "# Guide ## Reset Hold the reset button."  # title joins its body
    assert 0.0 < data["score"] <= 1.0
    assert data["chunk_id"] == source.chunk_id and data["end"] > data["start"]


def test_searching_a_collection_never_ingested_says_how_to_fix(store: KnowledgeBackend) -> None:
    retriever = Retriever(store, "manual", MiniLMEmbeddings(), EmbedderInfo("x", 384, True))
    with pytest.raises(CollectionNotIndexedError, match="springlet ingest manual"):
        retriever.retrieve("anything")


def test_query_terms_and_fts_quoting() -> None:
    assert query_terms("What is SKU-4471-B?") == ["sku", "4471", "b"]
    assert query_terms("退货 policy") == ["退", "货", "policy"]
    assert fts_match(['say "hi"', "x"]) == '"say ""hi""" OR "x"'


def test_a_second_store_sees_writes_made_through_another_connection(corpus: Any) -> None:
    corpus.write({"a.md": "# A\n\nApples are red.\n"})
    corpus.ingest()
    reader = corpus.backend.open()  # SQLite: its in-memory vectors must be reloaded
    retriever = Retriever(reader, "docs", corpus.embeddings, corpus.embeddings.info)
    assert [s.path for s in retriever.retrieve("apples", top_k=5)] == ["docs/a.md"]
    corpus.write({"b.md": "# B\n\nBananas are yellow.\n"})
    corpus.ingest()  # written through the other connection
    assert retriever.retrieve("bananas", top_k=1)[0].path == "docs/b.md"
    reader.close()


def test_unfiltered_knn_agrees_with_exact_search(corpus: Any) -> None:
    """SQLite: cached numpy vs sqlite-vec; pgvector: the HNSW index vs exact distances."""
    corpus.write({f"d{i}.md": f"# Doc {i}\n\nWord{i} and shared words here.\n" for i in range(30)})
    corpus.ingest()
    store, cid = corpus.store, corpus.store.pinned_embedder("docs")[0]
    query = np.asarray(corpus.embeddings.embed_query("word7 shared"), dtype=np.float32).tobytes()
    cached = store.nearest(cid, query, 5)
    every_id = store.chunk_ids_of(cid, [f"docs/d{i}.md" for i in range(30)])
    exact = store.nearest(cid, query, 5, within=every_id)  # filtered searches are exact
    assert cached[0][0] == exact[0][0]  # (later ranks may tie on these hashed vectors)
    assert np.allclose([d for _, d in cached], [d for _, d in exact], atol=1e-5)


def test_importing_the_package_stays_light() -> None:
    code = (
        "import sys, springlet.rag, springlet.rag.spec; "
        "print('langchain_core' in sys.modules, 'sqlite_vec' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"
