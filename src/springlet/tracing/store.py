"""The trace store: one SQLite file (`traces.sqlite` in the workspace data dir), WAL
mode, written by the tracer's background thread and read by the CLI and the TUI.

Several processes may write at once: each batch is one short `BEGIN IMMEDIATE`
transaction and waits for the lock (busy timeout); a batch that still cannot be
written is kept and retried with the next one.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from springlet.sqlite_faults import StoreError, store_error
from springlet.tracing.spans import (
    HOST,
    HOST_NAME,
    INPUT_TOKENS,
    OUTPUT_TOKENS,
    PROCESS_PID,
    RUN_INPUT,
    RUN_OUTPUT,
    Span,
    SpanKind,
    SpanStatus,
)

STORE_FILE = "traces.sqlite"
BUSY_TIMEOUT_S = 10.0
"""How long a write waits for another process's lock before the batch is kept for later."""
RECOVER_HINT = (
    "run `springlet traces reset` to move it aside and start a new trace store "
    "(runs are not affected; only recorded traces are)"
)
PENDING_LIMIT = 100_000
PRUNE_EVERY = 200

SCHEMA = """
CREATE TABLE IF NOT EXISTS spans (
    span_id TEXT PRIMARY KEY, trace_id TEXT NOT NULL, run_id TEXT NOT NULL,
    parent_id TEXT, seq INTEGER NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL,
    start_ns INTEGER NOT NULL, end_ns INTEGER, status TEXT NOT NULL, error TEXT,
    attributes TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS spans_trace ON spans(trace_id);
CREATE INDEX IF NOT EXISTS spans_run ON spans(run_id, kind);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, trace_id TEXT NOT NULL, parent_run_id TEXT,
    agent TEXT NOT NULL, model TEXT, session_id TEXT, status TEXT NOT NULL, error TEXT,
    start_ns INTEGER NOT NULL, end_ns INTEGER, input TEXT, output TEXT,
    input_tokens INTEGER, output_tokens INTEGER
);
CREATE INDEX IF NOT EXISTS runs_start ON runs(start_ns);
CREATE INDEX IF NOT EXISTS runs_trace ON runs(trace_id);
"""


@dataclass(frozen=True)
class RunSummary:
    """One row of `springlet traces list`."""

    run_id: str
    trace_id: str
    parent_run_id: str | None
    agent: str
    model: str | None
    session_id: str | None
    status: SpanStatus
    error: str | None
    start_ns: int
    end_ns: int | None
    input: str | None
    output: str | None
    input_tokens: int | None
    output_tokens: int | None

    @property
    def duration_ms(self) -> float | None:
        return None if self.end_ns is None else (self.end_ns - self.start_ns) / 1e6

    def to_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["status"] = self.status.value
        data["duration_ms"] = self.duration_ms
        return data


F = TypeVar("F", bound=Callable[..., Any])


def _reported(method: F) -> F:
    """A query whose SQLite error says which file failed and what to do."""

    @functools.wraps(method)
    def wrapper(self: TraceStore, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise self._error(exc) from exc

    return wrapper  # type: ignore[return-value]


class TraceStore:
    """Implements TraceSink (writes) and the queries the CLI/TUI need (reads)."""

    def __init__(
        self,
        path: Path,
        *,
        retention_days: int | None = None,
        retention_runs: int | None = None,
    ) -> None:
        self.path = Path(path)
        self.retention_days = retention_days
        self.retention_runs = retention_runs
        self._local = threading.local()
        self._pending: list[Span] = []
        self._finished_since_prune = PRUNE_EVERY  # prune on the first finished run

    @classmethod
    def in_dir(cls, data_dir: Path, **retention: Any) -> TraceStore:
        return cls(Path(data_dir) / STORE_FILE, **retention)

    def _connect(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
                try:
                    conn.execute("PRAGMA journal_mode=WAL")
                    conn.execute("PRAGMA synchronous=NORMAL")
                    conn.executescript(SCHEMA)
                except BaseException:
                    conn.close()
                    raise
            except (sqlite3.Error, OSError) as exc:
                raise self._error(exc) from exc
            self._local.conn = conn
        return conn

    def _error(self, exc: BaseException) -> StoreError:
        return store_error(exc, self.path, "the trace store", RECOVER_HINT)

    # -- writing (TraceSink) ----------------------------------------------------------

    def write(self, spans: Sequence[Span]) -> None:
        batch = [*self._pending, *spans]
        self._pending = []
        try:
            self._write_batch(batch)
        except (sqlite3.Error, OSError, StoreError) as exc:
            error = self._error(exc)
            if not error.damaged:  # locked, full, read-only: retried with the next batch
                self._pending = batch[-PENDING_LIMIT:]
            raise error from exc
        finished_roots = sum(1 for s in spans if _is_root(s) and s.finished)
        self._finished_since_prune += finished_roots
        if finished_roots and self._finished_since_prune >= PRUNE_EVERY:
            self._finished_since_prune = 0
            self.prune()

    def _write_batch(self, spans: Sequence[Span]) -> None:
        conn = self._connect()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany(
                "INSERT OR REPLACE INTO spans VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                [_span_row(s) for s in spans],
            )
            for span in spans:
                if _is_root(span):
                    _upsert_run(conn, span)
            conn.execute("COMMIT")
        except BaseException:
            # SQLite may have rolled back already (a full disk does): a second ROLLBACK
            # would raise "no transaction is active" and hide the real cause
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            raise

    def forget_connections(self) -> None:
        """Drop (never use, never close) connections inherited across a fork."""
        self._local = threading.local()

    def close(self) -> None:
        if self._pending:  # a batch refused while the file was locked: one last try
            try:
                self.write([])
            finally:
                self._pending = []
                self._close_connection()
            return
        self._close_connection()

    def _close_connection(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    @_reported
    def prune(self, *, now_ns: int | None = None) -> int:
        """Apply retention (days, then count of top-level runs); returns runs removed."""
        conn = self._connect()
        doomed: set[str] = set()
        if self.retention_days is not None:
            cutoff = (now_ns or time.time_ns()) - self.retention_days * 86_400 * 10**9
            doomed.update(
                r[0]
                for r in conn.execute(
                    "SELECT trace_id FROM runs WHERE parent_run_id IS NULL AND start_ns < ?",
                    (cutoff,),
                )
            )
        if self.retention_runs is not None:
            doomed.update(
                r[0]
                for r in conn.execute(
                    "SELECT trace_id FROM runs WHERE parent_run_id IS NULL "
                    "ORDER BY start_ns DESC LIMIT -1 OFFSET ?",
                    (self.retention_runs,),
                )
            )
        if not doomed:
            return 0
        conn.execute("BEGIN IMMEDIATE")
        ids = [(t,) for t in doomed]
        conn.executemany("DELETE FROM spans WHERE trace_id = ?", ids)
        conn.executemany("DELETE FROM runs WHERE trace_id = ?", ids)
        conn.execute("COMMIT")
        return len(doomed)

    # -- reading ------------------------------------------------------------------------

    @_reported
    def list_runs(
        self,
        *,
        agent: str | None = None,
        failed: bool = False,
        since_ns: int | None = None,
        limit: int = 50,
        include_nested: bool = False,
    ) -> list[RunSummary]:
        where: list[str] = ["1=1"]
        args: list[Any] = []
        if not include_nested:
            where.append("parent_run_id IS NULL")
        if agent:
            where.append("agent = ?")
            args.append(agent)
        if failed:  # an open run whose process is gone counts as failed (below)
            where.append("status != 'ok'")
        if since_ns is not None:
            where.append("start_ns >= ?")
            args.append(since_ns)
        sql = f"SELECT * FROM runs WHERE {' AND '.join(where)} ORDER BY start_ns DESC"
        runs = (self._interrupted_run(_summary(row)) for row in self._connect().execute(sql, args))
        if failed:
            runs = (run for run in runs if run.status is not SpanStatus.RUNNING)
        return list(itertools.islice(runs, limit))

    @_reported
    def get_run(self, run_id: str) -> RunSummary | None:
        """The run with this id, or whose id ends (as `traces list` shows it) or starts
        with it; the newest of several."""
        row = (
            self._connect()
            .execute(
                "SELECT * FROM runs WHERE run_id = ? OR run_id LIKE ? OR run_id LIKE ? "
                "ORDER BY run_id = ? DESC, start_ns DESC",
                (run_id, f"%{run_id}", f"{run_id}%", run_id),
            )
            .fetchone()
        )
        return None if row is None else self._interrupted_run(_summary(row))

    def _interrupted_run(self, run: RunSummary) -> RunSummary:
        """`run`, or, when it is still open but the process running it is gone (killed,
        crashed), the same run as an error saying so."""
        if run.status is not SpanStatus.RUNNING:
            return run
        row = (
            self._connect()
            .execute("SELECT attributes FROM spans WHERE span_id = ?", (run.run_id,))
            .fetchone()
        )
        ended = _ended_process(json.loads(row[0])) if row else None
        if ended is None:
            return run
        return replace(run, status=SpanStatus.ERROR, error=ended)

    @_reported
    def spans(self, run_id: str) -> list[Span]:
        """The spans of a run and of the runs nested in it, in start order."""
        run = self.get_run(run_id)
        if run is None:
            return []
        rows = (
            self._connect()
            .execute(
                "SELECT * FROM spans WHERE trace_id = ? ORDER BY start_ns, seq", (run.trace_id,)
            )
            .fetchall()
        )
        every = [_interrupted(_span(row)) for row in rows]
        return _subtree(every, run.run_id)


def _ended_process(attributes: dict[str, Any]) -> str | None:
    """Why a run recorded by the process in `attributes` can no longer finish: that
    process, on this host, is gone. None while it may still be running."""
    pid, host = attributes.get(PROCESS_PID), attributes.get(HOST_NAME)
    if not isinstance(pid, int) or host != HOST:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return (
            f"interrupted: its process ({pid}) ended before the run's end was recorded "
            "(killed, or its trace could not be written)"
        )
    except OSError:  # alive, owned by someone else
        return None
    return None


def _interrupted(span: Span) -> Span:
    if span.status is not SpanStatus.RUNNING:
        return span
    ended = _ended_process(span.attributes)
    return span if ended is None else replace(span, status=SpanStatus.ERROR, error=ended)


def _is_root(span: Span) -> bool:
    return span.kind is SpanKind.AGENT and span.span_id == span.run_id


def _span_row(s: Span) -> tuple[Any, ...]:
    return (
        s.span_id,
        s.trace_id,
        s.run_id,
        s.parent_id,
        s.seq,
        s.kind.value,
        s.name,
        s.start_ns,
        s.end_ns,
        s.status.value,
        s.error,
        json.dumps(s.attributes, ensure_ascii=False, default=str),
    )


def _upsert_run(conn: sqlite3.Connection, root: Span) -> None:
    attrs = root.attributes
    tokens: tuple[Any, ...] = (None, None)
    if root.finished:  # an open run has no model spans stored yet
        tokens = conn.execute(
            "SELECT SUM(json_extract(attributes, ?)), SUM(json_extract(attributes, ?)) "
            "FROM spans WHERE run_id = ? AND kind = 'model'",
            (f'$."{INPUT_TOKENS}"', f'$."{OUTPUT_TOKENS}"', root.run_id),
        ).fetchone()
    parent_run = attrs.get("springlet.run.parent_run_id")
    conn.execute(
        "INSERT OR REPLACE INTO runs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            root.run_id,
            root.trace_id,
            parent_run,
            attrs.get("gen_ai.agent.name", root.name),
            attrs.get("gen_ai.request.model"),
            attrs.get("gen_ai.conversation.id"),
            root.status.value,
            root.error,
            root.start_ns,
            root.end_ns,
            _text(attrs.get(RUN_INPUT)),
            _text(attrs.get(RUN_OUTPUT)),
            tokens[0],
            tokens[1],
        ),
    )


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _summary(row: tuple[Any, ...]) -> RunSummary:
    return RunSummary(
        row[0],
        row[1],
        row[2],
        row[3],
        row[4],
        row[5],
        SpanStatus(row[6]),
        row[7],
        row[8],
        row[9],
        row[10],
        row[11],
        row[12],
        row[13],
    )


def _span(row: tuple[Any, ...]) -> Span:
    return Span(
        span_id=row[0],
        trace_id=row[1],
        run_id=row[2],
        parent_id=row[3],
        seq=row[4],
        kind=SpanKind(row[5]),
        name=row[6],
        start_ns=row[7],
        end_ns=row[8],
        status=SpanStatus(row[9]),
        error=row[10],
        attributes=json.loads(row[11]),
    )


def _subtree(spans: list[Span], root_id: str) -> list[Span]:
    children: dict[str | None, list[Span]] = {}
    for span in spans:
        children.setdefault(span.parent_id, []).append(span)
    by_id = {s.span_id: s for s in spans}
    if root_id not in by_id:
        return []
    out: list[Span] = []
    stack = [by_id[root_id]]
    while stack:
        span = stack.pop()
        out.append(span)
        stack.extend(reversed(children.get(span.span_id, [])))
    return out
