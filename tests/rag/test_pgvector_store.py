"""The PostgreSQL + pgvector store on a real server: what differs from the SQLite one.

The shared behaviour (idempotent ingest, change and delete, kill -9, embedder pinning,
filters, hybrid vs vector-only, CJK) runs on both stores in test_ingest.py,
test_retriever.py and test_advisor.py. Here: configuration by URL, errors a user can
hit (server down, wrong database, pgvector not enabled, unset variable) and the parts
only a server store has (collections of different dimensions side by side, the HNSW
index).
"""

from __future__ import annotations

import json
import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pytest
from click.testing import CliRunner

from springlet.cli import main
from springlet.errors import SpringletError
from springlet.rag.spec import CollectionSpec
from springlet.rag.splitting import Chunk
from springlet.rag.store_protocol import EmbedderInfo, EmbedderMismatchError, FileChunks
from springlet.workspace.knowledge import close_shared_stores, shared_server_store

psycopg = pytest.importorskip("psycopg", reason="the pgvector extra is not installed")

from springlet.rag import pg_connect, pgvector_store  # noqa: E402
from springlet.rag.pg_connect import pg_target  # noqa: E402
from springlet.rag.pgvector_store import PgVectorStore, lexemes, tsquery  # noqa: E402

pytestmark = pytest.mark.integration


@pytest.fixture
def pg_url(new_database: Callable[[], str]) -> str:
    return new_database()


@pytest.fixture
def pg_store(pg_url: str) -> Iterator[PgVectorStore]:
    store = PgVectorStore(pg_target(pg_url, "docs"))
    yield store
    store.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _file(path: str, vectors: np.ndarray[Any, Any], text: str = "chunk") -> FileChunks:
    chunks = [
        Chunk(text=f"{text} {i}", source=path, title="", heading="", page=None, start=0, end=1)
        for i in range(len(vectors))
    ]
    return FileChunks(
        path=path,
        content_hash=f"hash-{path}",
        tags=(),
        chunks=chunks,
        text_hashes=[f"{path}-{i}" for i in range(len(vectors))],
        vectors=vectors.astype(np.float32),
    )


# -- configuration and errors ----------------------------------------------------------


def test_server_down_names_collection_and_host_but_never_the_password() -> None:
    port = _free_port()  # nothing listens there
    store = PgVectorStore(pg_target(f"postgresql://kb:s3cret-pw@127.0.0.1:{port}/kb", "manual"))
    with pytest.raises(SpringletError) as caught:
        store.pin_collection("manual", EmbedderInfo("x", 8, True), rebuild=False)
    text = f"{caught.value} {caught.value.hint}"
    assert f"collection 'manual': PostgreSQL at kb@127.0.0.1:{port}/kb" in text
    assert "start the PostgreSQL server" in text
    assert "s3cret-pw" not in text
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_server_gone_after_opening_gives_the_same_clear_error(
    postgres_url: str, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pg_connect, "CONNECT_TIMEOUT_S", 1)  # how long the pool waits
    store = PgVectorStore(pg_target(pg_url, "docs"))
    cid = store.pin_collection("docs", EmbedderInfo("e8", 8, True), rebuild=False)
    name = urlsplit(pg_url).path.lstrip("/")
    with psycopg.connect(postgres_url, autocommit=True) as admin:  # as good as a shutdown
        admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
        )
    try:
        with pytest.raises(SpringletError) as caught:
            store.chunk_count(cid)
        assert "collection 'docs': PostgreSQL at" in str(caught.value)
        assert "start the PostgreSQL server" in str(caught.value.hint)
        assert "is not currently accepting connections" in str(caught.value)  # the cause
    finally:
        store.close()


def test_missing_database_says_how_to_create_it(postgres_url: str) -> None:
    url = urlsplit(postgres_url)._replace(path="/no_such_db").geturl()
    store = PgVectorStore(pg_target(url, "manual"))
    with pytest.raises(SpringletError) as caught:
        store.open_collection("manual", EmbedderInfo("x", 8, True))
    assert 'database "no_such_db" does not exist' in str(caught.value)
    assert "createdb no_such_db" in str(caught.value.hint)


def test_pgvector_not_enabled_and_no_right_to_enable_it(
    postgres_url: str, new_database: Callable[[], str]
) -> None:
    url = new_database()  # a fresh database: pgvector not enabled yet
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute("DROP ROLE IF EXISTS springlet_app")
        admin.execute("CREATE ROLE springlet_app LOGIN")  # not a superuser
    store = PgVectorStore(pg_target(_as_user(url, "springlet_app"), "manual"))
    try:
        with pytest.raises(SpringletError) as caught:
            store.pin_collection("manual", EmbedderInfo("x", 8, True), rebuild=False)
        assert "the pgvector extension is not enabled in database" in str(caught.value)
        assert "collection 'manual'" in str(caught.value)
        assert "CREATE EXTENSION vector;" in str(caught.value.hint)
        with psycopg.connect(url, autocommit=True) as owner:
            owner.execute("CREATE EXTENSION vector")  # enabled, but no right to create tables
        with pytest.raises(SpringletError) as caught:
            store.pin_collection("manual", EmbedderInfo("x", 8, True), rebuild=False)
        assert "user 'springlet_app' may not create springlet's tables" in str(caught.value)
        assert "GRANT CREATE ON SCHEMA public TO springlet_app" in str(caught.value.hint)
    finally:
        store.close()
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute("DROP ROLE springlet_app")


def _as_user(url: str, user: str) -> str:
    """The URL with another user (no password: the test server trusts local users)."""
    parts = urlsplit(url)
    return parts._replace(netloc=f"{user}@{parts.netloc.rpartition('@')[2]}").geturl()


def test_unset_variable_in_url_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SPRINGLET_NO_SUCH_URL", raising=False)
    with pytest.raises(SpringletError, match=r"uses \$\{SPRINGLET_NO_SUCH_URL\}, which is not set"):
        pg_target("${SPRINGLET_NO_SUCH_URL}", "manual")


def test_url_forms() -> None:
    with pytest.raises(SpringletError, match="needs a PostgreSQL `url:`, got a 'mysql' URL"):
        pg_target("mysql://u:p@h/db", "manual")
    with pytest.raises(SpringletError) as caught:
        pg_target("not a url secret-pw", "manual")
    assert "secret-pw" not in str(caught.value)
    target = pg_target("postgresql+psycopg://kb:pw@db.example:6543/knowledge", "manual")
    assert target.display == "kb@db.example:6543/knowledge"
    assert "pw" not in repr(target)
    assert target.scrub("failed for kb:pw") == "failed for kb:***"
    assert target.ef_search == 100
    tuned = pg_target("postgresql://kb@db/kb?options=-c%20hnsw.ef_search%3D400", "manual")
    assert tuned.ef_search == 400


def test_without_the_extra_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if psycopg were not installed
    for module in ("springlet.rag.pg_connect", "springlet.rag.pgvector_store"):
        monkeypatch.delitem(sys.modules, module)
    spec = CollectionSpec(
        name="manual",
        sources=[{"path": "docs/"}],  # type: ignore[list-item]
        store="pgvector",
        url="postgresql://kb@db/kb",
    )
    with pytest.raises(SpringletError) as caught:
        shared_server_store(spec)
    assert "collection 'manual': store 'pgvector' needs psycopg" in str(caught.value)
    assert caught.value.hint == "pip install 'springlet[pgvector]'"


WORKSPACE = {
    "springlet.yaml": "embeddings: scripted:words\n",
    "knowledge/manual.yaml": """
        name: manual
        sources:
          - path: knowledge/manual/
        store: pgvector
        url: ${SPRINGLET_KB_URL}
    """,
    "knowledge/manual/reset.md": "# Reset\n\nHold the reset button for ten seconds.\n",
    "knowledge/manual/hours.md": "# Hours\n\nThe shop opens at nine.\n",
}


def test_cli_ingests_and_searches_a_pgvector_collection_configured_by_url(
    write_workspace: Callable[[dict[str, str]], Path],
    pg_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = write_workspace(WORKSPACE)
    monkeypatch.setenv("SPRINGLET_KB_URL", pg_url)
    runner = CliRunner()
    try:
        first = runner.invoke(main, ["ingest", "manual", "--json", "-w", str(root)])
        assert first.exit_code == 0, first.output
        assert json.loads(first.stdout)["embedded"] == 2
        again = runner.invoke(main, ["ingest", "--json", "-w", str(root)])
        assert json.loads(again.stdout)["embedded"] == 0
        found = runner.invoke(main, ["search", "manual", "reset button", "-w", str(root)])
        assert found.exit_code == 0, found.output
        assert "knowledge/manual/reset.md" in found.output
    finally:
        close_shared_stores()
    assert not (root / ".springlet" / "knowledge.sqlite").exists()  # nothing went to SQLite


# -- server-only behaviour -------------------------------------------------------------


def test_collections_of_different_dimensions_share_the_database(pg_store: PgVectorStore) -> None:
    rng = np.random.default_rng(7)
    small = pg_store.pin_collection("small", EmbedderInfo("e8", 8, True), rebuild=False)
    large = pg_store.pin_collection("large", EmbedderInfo("e32", 32, True), rebuild=False)
    pg_store.replace_files(small, [_file("a.md", rng.standard_normal((5, 8)))])
    pg_store.replace_files(large, [_file("b.md", rng.standard_normal((7, 32)))])
    query = rng.standard_normal(32).astype(np.float32).tobytes()
    hits = pg_store.nearest(large, query, 10)
    assert len(hits) == 7 and all(0.0 <= d <= 2.0 for _, d in hits)
    assert pg_store.chunk_count(small) == 5
    with pytest.raises(EmbedderMismatchError):
        pg_store.open_collection("small", EmbedderInfo("e32", 32, True))


def test_big_collections_get_an_hnsw_index_that_queries_use(
    pg_store: PgVectorStore, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pgvector_store, "HNSW_MIN_CHUNKS", 200)
    rng = np.random.default_rng(3)
    cid = pg_store.pin_collection("docs", EmbedderInfo("e16", 16, True), rebuild=False)
    pg_store.replace_files(cid, [_file("small.md", rng.standard_normal((150, 16)))])
    pg_store.optimize(cid)
    assert _hnsw_indexes(pg_url) == []  # 150 chunks: exact search
    pg_store.replace_files(
        cid, [_file(f"d{i}.md", rng.standard_normal((50, 16))) for i in range(4)]
    )
    pg_store.optimize(cid)
    assert _hnsw_indexes(pg_url) == [f"springlet_chunks_hnsw_{cid}"]
    every = pg_store.chunk_ids_of(cid, ["small.md", *(f"d{i}.md" for i in range(4))])
    for _ in range(5):
        query = rng.standard_normal(16).astype(np.float32).tobytes()
        indexed = pg_store.nearest(cid, query, 150)
        exact = pg_store.nearest(cid, query, 150, within=every)
        assert len(indexed) == 150  # more than ef_search (100): raised for this query
        assert indexed[0][0] == exact[0][0]
        assert [d for _, d in indexed] == sorted(d for _, d in indexed)
    pg_store.pin_collection("docs", EmbedderInfo("e16", 16, True), rebuild=True)
    assert _hnsw_indexes(pg_url) == []  # dropped with the collection


def test_an_application_role_that_does_not_own_the_tables_can_ingest_and_search(
    pg_store: PgVectorStore,
    pg_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(pgvector_store, "HNSW_MIN_CHUNKS", 10)
    pg_store.pin_collection("docs", EmbedderInfo("e8", 8, True), rebuild=False)  # as owner
    with psycopg.connect(pg_url, autocommit=True) as owner:
        owner.execute("DROP ROLE IF EXISTS springlet_writer")
        owner.execute("CREATE ROLE springlet_writer LOGIN")
        owner.execute("GRANT ALL ON ALL TABLES IN SCHEMA public TO springlet_writer")
        owner.execute("GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO springlet_writer")
    app = PgVectorStore(pg_target(_as_user(pg_url, "springlet_writer"), "docs"))
    try:
        cid = app.pin_collection("docs", EmbedderInfo("e8", 8, True), rebuild=False)
        app.replace_files(cid, [_file("a.md", np.random.default_rng(1).standard_normal((12, 8)))])
        app.optimize(cid)  # may not create the index: warns, does not fail
        assert "may not build its HNSW index" in caplog.text
        assert _hnsw_indexes(pg_url) == []
        query = np.ones(8, dtype=np.float32).tobytes()
        assert len(app.nearest(cid, query, 5)) == 5  # exact search still answers
    finally:
        app.close()
        with psycopg.connect(pg_url, autocommit=True) as owner:
            owner.execute("DROP OWNED BY springlet_writer")
            owner.execute("DROP ROLE springlet_writer")


def _hnsw_indexes(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT indexname FROM pg_indexes WHERE indexdef LIKE '%USING hnsw%'"
        ).fetchall()
    return [r[0] for r in rows]


def test_replacing_a_file_group_is_one_transaction(pg_store: PgVectorStore) -> None:
    rng = np.random.default_rng(5)
    cid = pg_store.pin_collection("docs", EmbedderInfo("e8", 8, True), rebuild=False)
    pg_store.replace_files(cid, [_file("a.md", rng.standard_normal((3, 8)))])
    broken = _file("b.md", rng.standard_normal((2, 8)), text="bad\x00")  # NUL is stored
    wrong_dimension = _file("c.md", rng.standard_normal((2, 4)))
    pg_store.replace_files(cid, [broken])
    with pytest.raises(psycopg.Error):
        pg_store.replace_files(cid, [_file("a.md", rng.standard_normal((1, 8))), wrong_dimension])
    assert pg_store.indexed_files(cid) == {"a.md": "hash-a.md", "b.md": "hash-b.md"}
    assert pg_store.chunk_count(cid) == 5  # a.md kept its 3 chunks


def test_lexemes_are_the_retrievers_terms() -> None:
    words = ["part", "sku", "4471", "b", "退", "货", "policy"]
    assert lexemes("Part SKU-4471-B: 退货 policy") == words
    assert lexemes("x" * 3000) == []  # too long for a tsvector lexeme
    assert tsquery(["it's", "a\\b"]) == "'it''s' | 'a\\\\b'"


def test_a_server_killed_by_sigill_is_named_as_a_cpu_mismatch(
    describe_probe_failure: Callable[[BaseException, str], str],
) -> None:
    log = (
        "LOG:  server process (PID 4242) was terminated by signal 4: Illegal instruction\n"
        "DETAIL:  Failed process was running: CREATE INDEX ON springlet_probe USING hnsw\n"
    )
    message = describe_probe_failure(OSError("server closed the connection unexpectedly"), log)
    assert "SIGILL" in message and "AVX2" in message
    assert "server closed" not in message  # the cryptic symptom is replaced by the cause


def test_any_other_probe_failure_keeps_its_own_words(
    describe_probe_failure: Callable[[BaseException, str], str],
) -> None:
    message = describe_probe_failure(OSError('extension "vector" is not available'), "")
    assert 'extension "vector" is not available' in message
