"""`ws.traces`: the runs in the workspace's trace store — list, one run's span tree,
following a run while it is recorded, export.

Following reads the store, not the tracer's pipeline. The store is where every process
writes (a `springlet run` in another terminal, a server), and what it holds is what a
reader must see (redacted, settled); a pipeline subscription would only see this
process's runs. The cost is one indexed query per poll: every write is an `INSERT OR
REPLACE`, which gives the row a new, higher rowid, so "what is new" is a rowid range.
"""

from __future__ import annotations

import asyncio
import builtins
import dataclasses
import json
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from springlet.errors import NotFoundError, SpringletError
from springlet.tracing.spans import Span, SpanKind, SpanStatus
from springlet.tracing.spans import short_id as short_id  # how a run id is shown and typed
from springlet.tracing.store import STORE_FILE, RunSummary, TraceStore

ExportFormat = Literal["json", "finetune", "otlp"]
POLL_INTERVAL_S = 0.1
APPEAR_TIMEOUT_S = 10.0
"""How long `follow(run_id)` waits for a run the tracer has not written yet."""


@dataclass(frozen=True)
class RunTree:
    """A run and every span below it (nested runs included), depth first from the root."""

    run: RunSummary
    spans: tuple[Span, ...]

    @property
    def root(self) -> Span:
        return next(s for s in self.spans if s.span_id == self.run.run_id)

    def children(self, span_id: str) -> tuple[Span, ...]:
        """The spans directly below `span_id`, in start order. A span whose parent was
        never stored (a retrieval made inside an advisor step that kept no span) counts
        as a child of its run's root."""
        ids = {s.span_id for s in self.spans}
        below = [
            s
            for s in self.spans
            if s.parent_id == span_id
            or (s.run_id == span_id and s.span_id != span_id and s.parent_id not in ids)
        ]
        return tuple(sorted(below, key=_order))


@dataclass(frozen=True)
class ExportResult:
    """What an export did: how many runs and spans it covered, and its text."""

    runs: int
    spans: int
    """Spans exported (for "otlp": sent to the collector)."""
    skipped: int
    """Runs left out ("finetune" keeps only runs that finished ok)."""
    text: str | None
    """The document, unless it was written to a path or sent over OTLP."""


class Traces:
    """Read side of the trace store of one workspace."""

    def __init__(self, data_dir: Path) -> None:
        self.store = TraceStore(data_dir / STORE_FILE)

    @property
    def path(self) -> Path:
        """The trace store's file (`<data_dir>/traces.sqlite`)."""
        return self.store.path

    @property
    def recorded(self) -> bool:
        """True once a run has been traced here (the store's file exists)."""
        return self.store.path.is_file()

    def reset(self) -> Path | None:
        """Move the store aside (a damaged one, say; its -wal/-shm files too) so the
        next run starts a new one; the old file's new path, or None when there was none.
        Runs are not affected, only the recorded traces start afresh."""
        from springlet.sqlite_faults import move_aside

        if not self.store.path.exists():
            return None
        self.store.close()
        return move_aside(self.store.path)

    def list(
        self,
        *,
        agent: str | None = None,
        status: str | None = None,
        text: str | None = None,
        since: datetime | None = None,
        limit: int = 100,
        failed: bool = False,
    ) -> builtins.list[RunSummary]:
        """Top-level runs, newest first. `status` is a SpanStatus value ("ok", "error",
        "running", ...); `text` matches input, output or error (case-insensitive);
        `failed` keeps the runs that did not finish ok (an interrupted one included)."""
        if not self.store.path.exists():
            return []
        wanted = None if status is None else SpanStatus(status)
        since_ns = None if since is None else int(since.timestamp() * 1e9)
        filtered = wanted is not None or text
        runs = self.store.list_runs(
            agent=agent,
            failed=failed or wanted is SpanStatus.ERROR,
            since_ns=since_ns,
            limit=2**62 if filtered else limit,
        )
        needle = (text or "").casefold()
        picked = [
            run
            for run in runs
            if (wanted is None or run.status is wanted)
            and (not needle or needle in _searchable(run))
        ]
        return picked[:limit]

    def get(self, run_id: str) -> RunTree:
        """The run (by id, or the short id `traces list` shows) and its span tree."""
        run = self.store.get_run(run_id) if self.store.path.exists() else None
        if run is None:
            raise _not_found(run_id, self.store.path)
        spans = self.store.spans(run.run_id)
        return RunTree(run, (*spans, *self._orphans(run.trace_id, spans)))

    def _orphans(self, trace_id: str, tree: builtins.list[Span]) -> builtins.list[Span]:
        """Spans of the tree's runs that the store's tree walk cannot reach, because
        their parent span was never stored."""
        known = {s.span_id for s in tree}
        runs = {s.run_id for s in tree}
        conn = sqlite3.connect(f"file:{self.store.path}?mode=ro", uri=True, timeout=10.0)
        try:
            rows = conn.execute(
                f"SELECT {SPAN_COLUMNS} FROM spans WHERE trace_id = ? ORDER BY start_ns, seq",
                (trace_id,),
            ).fetchall()
        finally:
            conn.close()
        spans = (span_from_row(row) for row in rows)
        return [s for s in spans if s.span_id not in known and s.run_id in runs]

    def follow(
        self, run_id: str | None = None, *, poll_s: float = POLL_INTERVAL_S
    ) -> Iterator[Span]:
        """Spans of `run_id` (or of every run, when None) as they are stored: a run's
        root first (open), then each span as it finishes, the finished root last. Ends
        when the run does; with None it ends only when the caller closes the iterator."""
        follower = _Follower(self.store, run_id)
        try:
            while True:
                spans, done = follower.poll()
                yield from spans
                if done:
                    return
                time.sleep(poll_s)
        finally:
            follower.close()

    async def afollow(
        self, run_id: str | None = None, *, poll_s: float = POLL_INTERVAL_S
    ) -> AsyncIterator[Span]:
        """`follow` for async code: each poll runs in a worker thread."""
        follower = _Follower(self.store, run_id)
        try:
            while True:
                spans, done = await asyncio.to_thread(follower.poll)
                for span in spans:
                    yield span
                if done:
                    return
                await asyncio.sleep(poll_s)
        finally:
            follower.close()

    def export(
        self,
        run_id: str | Sequence[str],
        format: ExportFormat = "json",
        path: Path | None = None,
        *,
        messages: bool = False,
    ) -> str | None:
        """Runs as the stable JSON document or fine-tuning JSONL (`messages=True`: the
        chat form): returned as text, or written to `path` (then None). "otlp" sends the
        spans to the OTLP collector the OTEL_EXPORTER_OTLP_* variables name."""
        return self.export_runs(run_id, format, path, messages=messages).text

    def export_runs(
        self,
        run_id: str | Sequence[str],
        format: ExportFormat = "json",
        path: Path | None = None,
        *,
        messages: bool = False,
    ) -> ExportResult:
        """`export`, saying how many runs and spans it covered and how many runs
        "finetune" left out (those that did not finish ok)."""
        from springlet.tracing.export import finetune_records, load_traces, to_json_document

        ids = [run_id] if isinstance(run_id, str) else list(run_id)
        try:
            found = load_traces(self.store, ids)
        except SpringletError as exc:
            raise NotFoundError(exc.message) from None  # it names `springlet traces list`
        span_count = sum(len(spans) for _, spans in found)
        if format == "otlp":
            from springlet.tracing.otlp import export_otlp

            sent = export_otlp([span for _, spans in found for span in spans])
            return ExportResult(len(found), sent, 0, None)
        skipped = 0
        if format == "json":
            text = json.dumps(to_json_document(found), indent=2, ensure_ascii=False) + "\n"
        else:
            records = builtins.list(finetune_records(found, messages=messages))
            skipped = len(found) - len(records)
            text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
        result = ExportResult(len(found), span_count, skipped, text)
        if path is None:
            return result
        try:
            Path(path).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise SpringletError(
                f"cannot write the export to {path}: {exc.strerror or exc}",
                hint="choose a path in a directory that exists and you can write to",
            ) from None
        return dataclasses.replace(result, text=None)

    def close(self) -> None:
        self.store.close()


class _Follower:
    """What `follow` has seen so far: the highest rowid, and which runs are followed."""

    def __init__(self, store: TraceStore, run_id: str | None) -> None:
        self.store = store
        self.run_id = run_id
        self.trace_id: str | None = None
        self.runs: set[str] = set()
        """The followed run and the runs nested in it (whose spans share its trace)."""
        self.deadline = time.monotonic() + APPEAR_TIMEOUT_S
        self.conn: sqlite3.Connection | None = None
        self.last_rowid = 0 if run_id else self._query("SELECT max(rowid) FROM spans")[0][0] or 0

    def poll(self) -> tuple[list[Span], bool]:
        """New spans since the last poll, and True once the followed run has ended."""
        if self.run_id is not None and self.trace_id is None:
            run = self.store.get_run(self.run_id)
            if run is None:
                if time.monotonic() > self.deadline:
                    self.close()
                    raise _not_found(self.run_id, self.store.path)
                return [], False
            self.run_id, self.trace_id, self.runs = run.run_id, run.trace_id, {run.run_id}
        spans = self._new_spans()
        if self.run_id is None:
            return spans, False
        ended = any(s.span_id == self.run_id and s.finished for s in spans)
        if not ended and not spans:  # a run whose process died never writes its end
            run = self.store.get_run(self.run_id)
            if run is not None and run.status is not SpanStatus.RUNNING:
                root = [s for s in self.store.spans(self.run_id) if s.span_id == self.run_id]
                ended, spans = True, root
        if ended:
            self.close()
        return spans, ended

    def _new_spans(self) -> builtins.list[Span]:
        sql = f"SELECT rowid, {SPAN_COLUMNS} FROM spans WHERE rowid > ?"
        args: builtins.list[object] = [self.last_rowid]
        if self.trace_id is not None:
            sql += " AND trace_id = ?"
            args.append(self.trace_id)
        rows = self._query(sql + " ORDER BY rowid", args)
        if rows:
            self.last_rowid = int(rows[-1][0])
        spans = [span_from_row(row[1:]) for row in rows]
        if self.run_id is None or self.run_id == self.trace_id:
            return spans  # a top-level run: its whole trace
        kept = []
        for span in spans:
            parent_run = span.attributes.get(PARENT_RUN)
            if span.span_id == span.run_id and parent_run in self.runs:
                self.runs.add(span.run_id)
            if span.run_id in self.runs:
                kept.append(span)
        return kept

    def _query(self, sql: str, args: Sequence[object] = ()) -> builtins.list[Any]:
        if not self.store.path.exists():
            return [(None,)] if "max(" in sql else []
        if self.conn is None:
            uri = f"file:{self.store.path}?mode=ro"
            self.conn = sqlite3.connect(uri, uri=True, timeout=10.0, check_same_thread=False)
        try:
            return self.conn.execute(sql, args).fetchall()
        except sqlite3.OperationalError:  # the tracer has not created its tables yet
            return [(None,)] if "max(" in sql else []

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


SPAN_COLUMNS = (
    "span_id, trace_id, run_id, parent_id, seq, kind, name, start_ns, end_ns, status, "
    "error, attributes"
)
PARENT_RUN = "springlet.run.parent_run_id"


def span_columns() -> str:
    """The spans table's columns in the order `span_from_row` reads them."""
    return SPAN_COLUMNS


def span_from_row(row: Sequence[Any]) -> Span:
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


def _order(span: Span) -> tuple[int, int]:
    return (span.start_ns, span.seq)


def _searchable(run: RunSummary) -> str:
    return " ".join(x for x in (run.input, run.output, run.error, run.agent) if x).casefold()


_LIST_HINT = "list runs with `springlet traces list` (or `ws.traces.list()`)"


def _not_found(run_id: str, path: Path) -> NotFoundError:
    return NotFoundError(f"no run '{run_id}' in {path}", hint=_LIST_HINT)
