"""Connect to the PostgreSQL server of a `store: pgvector` collection, or say why not.

    target = pg_target("postgresql://kb:${PG_PASSWORD}@db.internal:5432/knowledge", "manual")
    pool = open_pool(target, "manual")    # pgvector enabled, springlet's tables created

The `url:` may name environment variables as `${NAME}` (the whole URL, or just the
password), so secrets stay out of the YAML. `postgres://` and SQLAlchemy-style
`postgresql+psycopg://` URLs are accepted too. Every failure a user can hit (variable
unset, server down, wrong database or password, pgvector missing, no right to create
tables) is a `SpringletError` naming the collection and the server as `user@host:port/db`:
the password never appears in a message.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import quote

import psycopg
from pgvector.psycopg import register_vector
from psycopg import errors as pg_errors
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool, PoolTimeout

from springlet.errors import SpringletError

CONNECT_TIMEOUT_S = 5
"""How long to wait for the server before calling it unreachable."""

POOL_SIZE = 4
HNSW_EF_SEARCH = 100
"""Candidates an HNSW scan keeps (pgvector's default is 40); higher = better recall.
A URL can choose another: `?options=-c%20hnsw.ef_search%3D400`."""

_EF_SEARCH_OPTION = re.compile(r"hnsw\.ef_search\s*=\s*(\d+)")

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SCHEMES = ("postgresql", "postgres")
URL_FORM = "postgresql://USER:PASSWORD@HOST:5432/DATABASE"


@dataclass(frozen=True)
class PgTarget:
    """A PostgreSQL server and database; `display` is safe to print, `conninfo` is not."""

    display: str
    dbname: str
    user: str
    conninfo: str = field(repr=False)
    password: str = field(default="", repr=False)
    ef_search: int = HNSW_EF_SEARCH
    """`hnsw.ef_search` for this server's connections (the URL's `options` may set it)."""

    def scrub(self, text: str) -> str:
        """`text` on one line with the password (plain or URL-encoded) masked."""
        flat = " ".join(text.split())
        for secret in {self.password, quote(self.password, safe="")} - {""}:
            flat = flat.replace(secret, "***")
        return flat


def expand_env(url: str, collection: str) -> str:
    """`url` with each `${NAME}` replaced by that environment variable."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise SpringletError(
                f"collection '{collection}': its `url:` uses ${{{name}}}, which is not set",
                hint=f"export {name}=... (for the whole URL: {URL_FORM})",
            )
        return os.environ[name]

    return _ENV_REF.sub(value, url)


def pg_target(url: str, collection: str) -> PgTarget:
    """Parse a collection's `url:` (after expanding `${NAME}` variables)."""
    expanded = expand_env(url, collection).strip()
    scheme, sep, rest = expanded.partition("://")
    if not sep or scheme.split("+", 1)[0].lower() not in _SCHEMES:
        shown = f"a '{scheme}' URL" if sep else "no URL scheme"
        raise SpringletError(
            f"collection '{collection}': store 'pgvector' needs a PostgreSQL `url:`, got {shown}",
            hint=f"write it as {URL_FORM}",
        )
    conninfo = f"postgresql://{rest}"
    try:
        params = conninfo_to_dict(conninfo)
    except psycopg.Error:
        # libpq's message may quote the URL (and the password in it): not shown
        raise SpringletError(
            f"collection '{collection}': the `url:` is not a valid PostgreSQL URL",
            hint=f"write it as {URL_FORM} (percent-encode special characters in the password)",
        ) from None
    user = str(params.get("user") or os.environ.get("PGUSER") or "postgres")
    host = str(params.get("host") or os.environ.get("PGHOST") or "localhost")
    port = str(params.get("port") or os.environ.get("PGPORT") or "5432")
    dbname = str(params.get("dbname") or user)
    ef_search = _EF_SEARCH_OPTION.search(str(params.get("options") or ""))
    return PgTarget(
        display=f"{user}@{host}:{port}/{dbname}",
        dbname=dbname,
        user=user,
        conninfo=conninfo,
        password=str(params.get("password") or ""),
        ef_search=int(ef_search.group(1)) if ef_search else HNSW_EF_SEARCH,
    )


def _reason(target: PgTarget, exc: BaseException) -> str:
    """The server's one-line message (no SQL excerpt), else the client's, password masked."""
    diag = getattr(exc, "diag", None)
    primary = diag.message_primary if diag is not None else None
    return target.scrub(primary or str(exc)) or type(exc).__name__


def _where(target: PgTarget, collection: str | None) -> str:
    owner = f"collection '{collection}'" if collection else "knowledge store"
    return f"{owner}: PostgreSQL at {target.display}"


def connection_error(
    target: PgTarget, collection: str | None, exc: BaseException
) -> SpringletError:
    """A failure to reach or log in to the server, as a SpringletError with the fix."""
    reason = _reason(target, exc)
    state = getattr(exc, "sqlstate", None)
    lowered = reason.lower()
    if state in ("28P01", "28000") or "authentication failed" in lowered:
        hint = "check the user and password in the collection's `url:` (or the variable it names)"
    elif state == "3D000" or (f'database "{target.dbname}" does not exist' in reason):
        hint = (
            f"create the database (`createdb {target.dbname}` on the server) "
            "or fix the database name in the `url:`"
        )
    else:
        hint = (
            "start the PostgreSQL server, or fix the host and port in the collection's "
            f"`url:` ({URL_FORM})"
        )
    return SpringletError(f"{_where(target, collection)} cannot be used: {reason}", hint=hint)


def unavailable_error(
    target: PgTarget, collection: str | None, exc: BaseException
) -> SpringletError:
    """`connection_error` for a failure of a pooled connection.

    When the pool only says it timed out, one direct connection attempt finds out why
    (server down, database closed, password changed).
    """
    if isinstance(exc, PoolTimeout):
        try:
            psycopg.connect(target.conninfo, connect_timeout=CONNECT_TIMEOUT_S).close()
        except psycopg.OperationalError as cause:
            exc = cause
    return connection_error(target, collection, exc)


def open_pool(target: PgTarget, collection: str | None, schema_sql: str) -> ConnectionPool:
    """A connection pool on `target`, after enabling pgvector and running `schema_sql`."""
    try:
        with psycopg.connect(
            target.conninfo, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S
        ) as conn:
            _prepare_database(conn, target, collection, schema_sql)
        pool: ConnectionPool = ConnectionPool(
            target.conninfo,
            kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT_S},
            min_size=1,
            max_size=POOL_SIZE,
            configure=partial(_configure, ef_search=target.ef_search),
            check=ConnectionPool.check_connection,
            timeout=CONNECT_TIMEOUT_S,
            open=False,
            name="springlet-knowledge",
        )
        pool.open(wait=True, timeout=CONNECT_TIMEOUT_S)
    except (psycopg.OperationalError, PoolTimeout) as exc:
        raise connection_error(target, collection, exc) from None
    return pool


def _configure(conn: psycopg.Connection[Any], *, ef_search: int) -> None:
    register_vector(conn)
    conn.execute(f"SET hnsw.ef_search = {ef_search:d}")


def _prepare_database(
    conn: psycopg.Connection[Any], target: PgTarget, collection: str | None, schema_sql: str
) -> None:
    """Enable pgvector and create springlet's tables, unless they already exist.

    Both are looked up first because CREATE ... IF NOT EXISTS still needs the privilege
    to create, which an application role often lacks; a lock keeps two processes from
    creating them at the same time.
    """
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('springlet:schema'))")
        if conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'").fetchone() is None:
            _create_vector_extension(conn, target, collection)
        if conn.execute("SELECT to_regclass('springlet_chunks')").fetchone() != (None,):
            return
        try:
            conn.execute(schema_sql)
        except pg_errors.InsufficientPrivilege as exc:
            raise SpringletError(
                f"{_where(target, collection)}: user '{target.user}' may not create "
                f"springlet's tables ({_reason(target, exc)})",
                hint=f"GRANT CREATE ON SCHEMA public TO {target.user}; or run the first "
                "`springlet ingest` as the database owner",
            ) from None


def _create_vector_extension(
    conn: psycopg.Connection[Any], target: PgTarget, collection: str | None
) -> None:
    try:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    except pg_errors.InsufficientPrivilege as exc:
        raise SpringletError(
            f"{_where(target, collection)}: the pgvector extension is not enabled in database "
            f"'{target.dbname}', and user '{target.user}' may not enable it "
            f"({_reason(target, exc)})",
            hint=f"ask the database owner or an administrator to run "
            f"`CREATE EXTENSION vector;` in database '{target.dbname}' once",
        ) from None
    except (pg_errors.FeatureNotSupported, pg_errors.UndefinedFile) as exc:
        raise SpringletError(
            f"{_where(target, collection)}: the pgvector extension is not installed on this "
            f"server ({_reason(target, exc)})",
            hint="install pgvector on the PostgreSQL server "
            "(https://github.com/pgvector/pgvector#installation, or use the pgvector/pgvector "
            "Docker image), then run the command again",
        ) from None
