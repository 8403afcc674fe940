"""The knowledge collection spec: `knowledge/<name>.yaml` (or `collections:` in springlet.yaml)."""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationInfo, field_validator, model_validator

from springlet.models.reference import EmbeddingReference
from springlet.spec_base import Spec

PG_URL_FORM = "postgresql://USER:PASSWORD@HOST:5432/DATABASE"
_ENV_REF_START = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")
_PG_SCHEMES = ("postgresql", "postgres")


class SourceSpec(Spec):
    """Where a collection's documents are: a folder (or file) and a glob inside it, or
    the resources of an MCP server (`mcp: NAME`, `uri:` an exact URI or a glob)."""

    path: str | None = None
    """Relative to the workspace root."""
    glob: str = "**/*"
    mcp: str | None = None
    """An MCP server of `mcp_servers:` whose resources are the documents."""
    uri: str | None = None
    """Which of the server's resources: an exact URI or a glob (`docs://*`)."""
    tags: list[str] = Field(default_factory=list)
    """Tags attached to every chunk from this source, for retrieval filters."""

    @model_validator(mode="after")
    def _files_or_resources(self) -> SourceSpec:
        if self.mcp is None and self.uri is None:
            if self.path is None:
                raise ValueError("a source needs `path:` (files) or `mcp:` and `uri:`")
            return self
        if self.path is not None:
            raise ValueError("a source is files (`path:`) or MCP resources (`mcp:`), not both")
        if self.mcp is None or self.uri is None:
            raise ValueError("an MCP source needs both `mcp:` (the server) and `uri:`")
        return self


class SplitterSpec(Spec):
    """How documents are cut into chunks (sizes in characters; CJK-aware separators)."""

    chunk_size: int = Field(default=800, ge=50, le=100_000)
    chunk_overlap: int = Field(default=100, ge=0)

    @model_validator(mode="after")
    def _overlap_below_size(self) -> SplitterSpec:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError(
                f"chunk_overlap ({self.chunk_overlap}) must be smaller than "
                f"chunk_size ({self.chunk_size})"
            )
        return self


AVAILABLE_STORES = ("sqlite", "pgvector")
"""The stores this build of springlet has. FORMAT.md also names `qdrant`, which is
refused at validation (not at the first ingest) until a store for it exists."""


class CollectionSpec(Spec):
    """A named set of documents, indexed with one pinned embedding model."""

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_.-]*$")
    description: str | None = None
    sources: list[SourceSpec] = Field(min_length=1)
    splitter: SplitterSpec = Field(default_factory=SplitterSpec)
    embeddings: EmbeddingReference | None = None
    """Falls back to the workspace `embeddings`; the index refuses any other embedder."""
    store: Literal["sqlite", "pgvector", "qdrant"] = "sqlite"
    url: str | None = None
    """Connection URL for the pgvector / qdrant stores."""

    @field_validator("store")
    @classmethod
    def _store_is_available(cls, value: str) -> str:
        if value not in AVAILABLE_STORES:
            raise ValueError(
                f"'{value}' is not available in this build of springlet: use "
                "`store: sqlite` (embedded) or `store: pgvector` with a PostgreSQL `url:`"
            )
        return value

    @field_validator("url")
    @classmethod
    def _url_fits_the_store(cls, value: str | None, info: ValidationInfo) -> str | None:
        store = info.data.get("store", "sqlite")
        if value is None or store == "sqlite":
            return value
        problem = _pg_url_problem(value) if store == "pgvector" else _http_url_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _server_stores_need_url(self) -> CollectionSpec:
        if self.store != "sqlite" and not self.url:
            raise ValueError(f"store '{self.store}' needs a connection `url:`")
        return self


def _pg_url_problem(url: str) -> str | None:
    """Why `url` cannot name a PostgreSQL server; the URL itself (and its password) is
    never quoted. `${NAME}` at the start may hold the scheme, so it is not judged here."""
    text = url.strip()
    if _ENV_REF_START.match(text):
        return None
    scheme, sep, _ = text.partition("://")
    if text.startswith("$"):
        got = "a variable not written as ${NAME}"
    elif not sep:
        got = "no URL scheme"
    elif scheme.split("+", 1)[0].lower() in _PG_SCHEMES:
        return None
    else:
        got = f"a '{scheme}' URL"
    return (
        f"store 'pgvector' needs a PostgreSQL URL ({PG_URL_FORM}) or an environment "
        f"variable written as ${{NAME}}, got {got}"
    )


def _http_url_problem(url: str) -> str | None:
    text = url.strip()
    if _ENV_REF_START.match(text):
        return None
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - parsing the port is what raises for `host:abc`
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        return "expected an http(s)://host[:port] URL or an environment variable as ${NAME}"
    return None
