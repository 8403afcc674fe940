"""Knowledge benchmarks, printed in one run (baselines measured in the same run):

1. ingest chunks/s through springlet vs the embedder's raw throughput on the same chunk
   texts (aim >= 90 %);
2. query latency p50/p95 at 10k and 100k chunks with precomputed random vectors
   (aim p50 <= 10 ms at 100k), vector-only KNN and the full hybrid retrieval;
3. recall@5 of the embedded store vs exact brute-force search (numpy) on the same vectors;
4. the same query latencies and recall for the PostgreSQL + pgvector store at 10k chunks
   (HNSW index), on the server of `--pgvector-url` or one pgserver starts in a temp dir.

    .venv/bin/python bench/rag.py [--sizes 10000,100000] [--queries 200]
                                  [--pgvector-sizes 10000] [--pgvector-url URL]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from springlet.models.minilm import MiniLMEmbeddings
from springlet.rag.ingest import ingest_collection
from springlet.rag.loaders import load_file
from springlet.rag.retriever import Retriever
from springlet.rag.spec import CollectionSpec
from springlet.rag.splitting import Chunk, split_sections
from springlet.rag.store import EmbedderInfo, FileChunks, SqliteKnowledgeStore
from springlet.rag.store_protocol import KnowledgeBackend

OpenStore = Callable[[], Any]
"""A context manager factory yielding an empty store."""

DIM = 384
REPEATS = 3
WORDS = [
    "router",
    "reset",
    "filter",
    "purifier",
    "refund",
    "order",
    "shipping",
    "warranty",
    "battery",
    "cable",
    "light",
    "button",
    "manual",
    "setup",
    "install",
    "bracket",
    "wall",
    "replace",
    "months",
    "days",
    "store",
    "receipt",
    "policy",
]
RARE_WORDS = tuple(f"term{n}" for n in range(20_000))
"""The query bench's chunks draw from these, so a query word matches few chunks."""


def _sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 16))).capitalize() + "."


def _write_documents(folder: Path, files: int, rng: random.Random) -> None:
    for i in range(files):
        sections = [
            f"## Section {j}\n\n" + " ".join(_sentence(rng) for _ in range(6)) for j in range(6)
        ]
        text = f"# Document {i}\n\n" + "\n\n".join(sections) + "\n"
        (folder / f"doc{i:03d}.md").write_text(text, encoding="utf-8")


def bench_ingest(files: int) -> None:
    rng = random.Random(7)
    embeddings = MiniLMEmbeddings()
    info = EmbedderInfo(embeddings.identity, embeddings.dimension, True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "docs").mkdir()
        _write_documents(root / "docs", files, rng)
        spec = CollectionSpec(name="bench", sources=[{"path": "docs/"}])  # type: ignore[list-item]
        texts = [
            c.text
            for path in sorted((root / "docs").iterdir())
            for c in split_sections(load_file(path, path.name), spec.splitter)
        ]
        embeddings.embed_array(texts[:32])  # load the model outside both timings
        store = SqliteKnowledgeStore(root / "knowledge.sqlite")
        raw_s, ingest_s, inside = [], [], []
        for _ in range(REPEATS):  # interleaved, best of: the CPU is shared and noisy
            start = time.perf_counter()
            embeddings.embed_array(texts)
            raw_s.append(time.perf_counter() - start)
            timed = _Timed(embeddings)
            report = ingest_collection(spec, root, store, timed, info, rebuild=True)
            ingest_s.append(report.seconds)
            inside.append(timed.seconds / report.seconds)
        raw = len(texts) / min(raw_s)
        through = report.chunks / min(ingest_s)
        again = ingest_collection(spec, root, store, embeddings, info)
        store.close()
    print(f"ingest: {report.files} files, {report.chunks} chunks (MiniLM, numpy)")
    print(f"  raw embedder        {raw:8.1f} chunks/s")
    print(
        f"  springlet ingest    {through:8.1f} chunks/s   ratio {through / raw:6.1%}  (aim >= 90%)"
    )
    print(f"  share of ingest time spent inside the embedder (same run): {max(inside):.1%}")
    print(f"  re-ingest unchanged {again.seconds * 1000:8.1f} ms, embedded {again.embedded}")


class _Timed(Embeddings):
    """Passes through to an embedder and adds up the seconds spent inside it."""

    def __init__(self, inner: MiniLMEmbeddings) -> None:
        self.inner = inner
        self.seconds = 0.0

    def embed_array(self, texts: list[str]) -> Any:
        start = time.perf_counter()
        try:
            return self.inner.embed_array(texts)
        finally:
            self.seconds += time.perf_counter() - start

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [list(row) for row in self.embed_array(texts).tolist()]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


class _Precomputed(Embeddings):
    """Query vectors looked up, not computed: the bench times the store alone."""

    def __init__(self, vectors: dict[str, np.ndarray[Any, Any]]) -> None:
        self.vectors = vectors

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.vectors[t].tolist() for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return list(self.vectors[text].tolist())


def _unit(rows: int, rng: np.random.Generator) -> np.ndarray[Any, Any]:
    data = rng.standard_normal((rows, DIM)).astype(np.float32)
    return data / np.linalg.norm(data, axis=1, keepdims=True)


def _fill(store: KnowledgeBackend, vectors: np.ndarray[Any, Any], rng: random.Random) -> None:
    info = EmbedderInfo("bench:random", DIM, True)
    cid = store.pin_collection("bench", info, rebuild=True)
    per_file = 1000
    batch: list[FileChunks] = []
    for f in range(0, len(vectors), per_file):
        part = vectors[f : f + per_file]
        chunks = [
            Chunk(" ".join(rng.choices(RARE_WORDS, k=12)), f"f{f}.md", "t", "", None, 0, 10)
            for _ in range(len(part))
        ]
        hashes = [f"{f}-{i}" for i in range(len(part))]
        batch.append(FileChunks(f"f{f}.md", str(f), (), chunks, hashes, part))
        if len(batch) == 10:
            store.replace_files(cid, batch)
            batch = []
    if batch:
        store.replace_files(cid, batch)
    store.optimize(cid)  # as ingest does after writing


def _percentiles(samples: list[float]) -> str:
    cuts = statistics.quantiles(samples, n=100)
    return f"p50 {cuts[49]:6.2f} ms  p95 {cuts[94]:6.2f} ms"


@contextmanager
def _sqlite_store() -> Iterator[KnowledgeBackend]:
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteKnowledgeStore(Path(tmp) / "knowledge.sqlite")
        yield store
        store.close()


@contextmanager
def _postgres_server(url: str | None) -> Iterator[str]:
    """The given server, or a throwaway one started by pgserver (scripts/setup installs it
    from requirements/test-postgres.txt)."""
    if url:
        yield url
        return
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR")
        import pgserver

        server = pgserver.get_server(tempfile.mkdtemp(prefix="springlet-pg-"), "delete")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()


def _pgvector_stores(server_url: str) -> OpenStore:
    """Each store in a fresh database of the server (so chunk ids start at 1)."""
    from urllib.parse import urlsplit

    import psycopg

    from springlet.rag.pg_connect import pg_target
    from springlet.rag.pgvector_store import PgVectorStore

    @contextmanager
    def open_store() -> Iterator[KnowledgeBackend]:
        name = f"springlet_bench_{time.time_ns()}"
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}")
        store = PgVectorStore(
            pg_target(urlsplit(server_url)._replace(path=f"/{name}").geturl(), "bench")
        )
        try:
            yield store
        finally:
            store.close()
            with psycopg.connect(server_url, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE {name} WITH (FORCE)")

    return open_store


def bench_queries(
    size: int, queries: int, open_store: OpenStore = _sqlite_store, label: str = "SQLite"
) -> None:
    rng = np.random.default_rng(size)
    vectors = _unit(size, rng)
    probes = _unit(queries, rng)
    with open_store() as store:
        start = time.perf_counter()
        _fill(store, vectors, random.Random(size))
        fill_s = time.perf_counter() - start
        cid, info = store.pinned_embedder("bench") or (0, None)
        assert info is not None
        pick = random.Random(queries)
        words = [" ".join(pick.choices(RARE_WORDS, k=2)) for _ in range(queries)]
        texts = {f"q{i} {w}": probes[i] for i, w in enumerate(words)}
        retriever = Retriever(store, "bench", _Precomputed(texts), info)
        knn_ms, hybrid_ms, hits = [], [], 0
        for text, probe in texts.items():
            blob = probe.tobytes()
            t0 = time.perf_counter()
            found = store.nearest(cid, blob, 5)
            knn_ms.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            retriever.retrieve(text, top_k=5)
            hybrid_ms.append((time.perf_counter() - t0) * 1000)
            exact = set(np.argsort(-(vectors @ probe))[:5] + 1)  # chunk ids start at 1
            hits += len(exact & {i for i, _ in found})
    sqlite = label == "SQLite"
    print(f"{label} query at {size:,} chunks ({queries} queries; filled in {fill_s:.1f} s)")
    from springlet.rag.pgvector_store import HNSW_MIN_CHUNKS

    search = "exact scan" if size < HNSW_MIN_CHUNKS else "HNSW index"
    knn = "vector KNN (exact, cached)  " if sqlite else f"vector KNN ({search})     "
    hybrid = "hybrid retrieve (KNN + FTS5)" if sqlite else "hybrid retrieve (+ tsvector)"
    print(f"  {knn} {_percentiles(knn_ms)}")
    print(f"  {hybrid} {_percentiles(hybrid_ms)}")
    print(f"  recall@5 vs brute force      {hits / (5 * queries):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--pgvector-sizes", default="10000", help="'' to skip PostgreSQL")
    parser.add_argument("--pgvector-url", help="a server where the bench may create databases")
    args = parser.parse_args()
    bench_ingest(args.files)
    for size in (int(s) for s in args.sizes.split(",")):
        bench_queries(size, args.queries)
    pg_sizes = [int(s) for s in args.pgvector_sizes.split(",") if s]
    if pg_sizes:
        with _postgres_server(args.pgvector_url) as server_url:
            for size in pg_sizes:
                bench_queries(size, args.queries, _pgvector_stores(server_url), "pgvector")


if __name__ == "__main__":
    main()
