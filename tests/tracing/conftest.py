"""Helpers for tracing tests: a tracer writing to a store in tmp_path, plain
create_agent runs driven by the scripted model, and span trees as comparable tuples."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from springlet.tracing import Span, Tracer, TraceStore

Node = tuple[int, str, str, str]
"""(depth, kind, name, status) of a span in depth-first order."""


def tree(spans: list[Span]) -> list[Node]:
    """Spans (depth first from the root, as the store returns them) as comparable rows."""
    depth: dict[str | None, int] = {}
    rows = []
    for span in spans:
        level = depth.get(span.parent_id, -1) + 1
        depth[span.span_id] = level
        rows.append((level, span.kind.value, span.name, span.status.value))
    return rows


@pytest.fixture
def store(tmp_path: Path) -> TraceStore:
    return TraceStore(tmp_path / "traces.sqlite")


@pytest.fixture
def tracer(store: TraceStore) -> Iterator[Tracer]:
    tracer = Tracer([store])
    yield tracer
    tracer.close()


def stored_tree(tracer: Tracer, store: TraceStore, run_id: str) -> list[Node]:
    assert tracer.flush()
    return tree(store.spans(run_id))
