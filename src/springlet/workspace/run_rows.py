"""The rows of a run table: each top-level run's summary with what its spans add up to
(tool calls, failed spans, time to first token) — one grouped query for many runs, so
a screen can refresh the rows of the runs that changed without reading their spans.
"""

from __future__ import annotations

import builtins
import contextlib
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from springlet.tracing.spans import TIME_TO_FIRST_TOKEN_MS
from springlet.tracing.store import RunSummary

if TYPE_CHECKING:
    from springlet.workspace.workspace import Workspace

_STATS_SQL = f"""
SELECT trace_id, count(*), sum(kind = 'tool'), sum(status = 'error' AND span_id != trace_id),
       (SELECT json_extract(first.attributes, '$."{TIME_TO_FIRST_TOKEN_MS}"')
        FROM spans AS first WHERE first.trace_id = spans.trace_id AND first.kind = 'model'
        AND json_extract(first.attributes, '$."{TIME_TO_FIRST_TOKEN_MS}"') IS NOT NULL
        ORDER BY first.start_ns, first.seq LIMIT 1)
FROM spans WHERE trace_id IN ({{marks}}) GROUP BY trace_id
"""


@dataclass(frozen=True)
class RunStats:
    """What the spans of one run (nested runs included) add up to."""

    spans: int = 0
    tool_calls: int = 0
    errors: int = 0
    """Failed spans below the run's root."""
    ttft_ms: float | None = None
    """Time to first token of the first model call that streamed one (a call that
    only asked for tools streams no token)."""


@dataclass(frozen=True)
class RunRow:
    """One row of a run table."""

    run: RunSummary
    stats: RunStats


def list_run_rows(
    ws: Workspace,
    *,
    agent: str | None = None,
    status: str | None = None,
    text: str | None = None,
    since: datetime | None = None,
    limit: int = 100,
) -> builtins.list[RunRow]:
    """`ws.traces.list(...)` (same filters, newest first) with each run's stats."""
    runs = ws.traces.list(agent=agent, status=status, text=text, since=since, limit=limit)
    stats = run_stats(ws, [run.trace_id for run in runs])
    return [RunRow(run, stats.get(run.trace_id, RunStats())) for run in runs]


def read_run_rows(ws: Workspace, run_ids: Iterable[str]) -> builtins.list[RunRow]:
    """The rows of these top-level runs (ids not in the store are left out)."""
    runs = [run for run_id in run_ids if (run := ws.traces.store.get_run(run_id)) is not None]
    stats = run_stats(ws, [run.trace_id for run in runs])
    return [RunRow(run, stats.get(run.trace_id, RunStats())) for run in runs]


def run_stats(ws: Workspace, trace_ids: builtins.list[str]) -> dict[str, RunStats]:
    """trace id -> its stats, in one query (nothing when the store does not exist yet)."""
    path = ws.traces.store.path
    if not trace_ids or not path.exists():
        return {}
    found: dict[str, RunStats] = {}
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10.0)
    try:
        for start in range(0, len(trace_ids), 500):  # SQLite's limit on bound parameters
            part = trace_ids[start : start + 500]
            sql = _STATS_SQL.format(marks=",".join("?" * len(part)))
            with contextlib.suppress(sqlite3.OperationalError):  # tables not created yet
                for trace_id, spans, tools, errors, ttft in conn.execute(sql, part):
                    found[trace_id] = RunStats(
                        spans, int(tools or 0), int(errors or 0), None if ttft is None else ttft
                    )
    finally:
        conn.close()
    return found
