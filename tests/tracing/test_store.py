"""The SQLite store: WAL, retention, two writing processes, failures that never fail a run."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import pytest

from springlet.settings import TracingSettings
from springlet.sqlite_faults import StoreError
from springlet.tracing import SpanStatus, Tracer, TraceStore, TracingWriteWarning
from springlet.tracing.spans import Span, SpanKind, new_id, short_id


def root(run_id: str, start_ns: int, status: SpanStatus = SpanStatus.OK) -> Span:
    return Span(
        span_id=run_id,
        trace_id=run_id,
        run_id=run_id,
        parent_id=None,
        kind=SpanKind.AGENT,
        name="invoke_agent a",
        start_ns=start_ns,
        end_ns=start_ns + 1000,
        status=status,
        attributes={"gen_ai.agent.name": "a"},
    )


def test_store_uses_wal_and_lists_runs_newest_first(store: TraceStore) -> None:
    store.write([root("a" * 32, 1000), root("b" * 32, 2000, SpanStatus.ERROR)])
    mode = sqlite3.connect(store.path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    assert [r.run_id[0] for r in store.list_runs()] == ["b", "a"]
    assert [r.run_id[0] for r in store.list_runs(failed=True)] == ["b"]
    assert [r.run_id[0] for r in store.list_runs(since_ns=1500)] == ["b"]
    assert store.get_run("bbbb") is not None  # a prefix of the id finds the run


def test_retention_by_count_and_by_days(tmp_path: Path) -> None:
    now = time.time_ns()
    day = 86_400 * 10**9
    store = TraceStore(tmp_path / "t.sqlite", retention_days=7, retention_runs=3)
    old = [root(f"{i:032x}", now - 10 * day + i) for i in range(2)]
    fresh = [root(f"{i + 100:032x}", now - i) for i in range(4)]
    store.write([*old, *fresh])  # retention applies as soon as runs finish
    assert store.prune() == 0
    kept = {r.run_id for r in store.list_runs()}
    assert kept == {s.run_id for s in fresh[:3]}
    spans = sqlite3.connect(store.path).execute("SELECT count(*) FROM spans").fetchone()[0]
    assert spans == 3
    store.write([root(f"{200:032x}", now)])
    assert store.prune() == 1  # the oldest kept run made room


def test_workspace_tracer_applies_settings(tmp_path: Path) -> None:
    settings = TracingSettings(retention_runs=1)
    tracer = Tracer.for_workspace(tmp_path / "data", settings)
    assert tracer is Tracer.for_workspace(tmp_path / "data", settings)  # one per data dir
    assert tracer.store is not None and tracer.store.path == tmp_path / "data" / "traces.sqlite"
    assert tracer.store.retention_runs == 1
    assert not Tracer.for_workspace(tmp_path, TracingSettings(enabled=False)).enabled


WRITER = textwrap.dedent(
    """
    import sys
    from springlet.tracing import Tracer, TraceStore
    tracer = Tracer([TraceStore(sys.argv[1])])
    for i in range(60):
        with tracer.run(agent=sys.argv[2], input=str(i)) as run:
            pass
    assert tracer.flush(30)
    tracer.close()
    """
)


def test_two_processes_write_at_once(store: TraceStore) -> None:
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(store.path), name])
        for name in ("left", "right")
    ]
    assert [p.wait(60) for p in procs] == [0, 0]
    assert len(store.list_runs(agent="left", limit=1000)) == 60
    assert len(store.list_runs(agent="right", limit=1000)) == 60


def test_failed_write_is_reported_once_and_never_fails_the_run(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the data dir should be")
    tracer = Tracer([TraceStore(blocker / "traces.sqlite")])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            with tracer.run(agent="a") as run:
                run.finish(output="fine")
        assert tracer.flush()
    reports = [w for w in caught if issubclass(w.category, TracingWriteWarning)]
    assert len(reports) == 1
    assert "TraceStore" in str(reports[0].message)


def test_locked_store_keeps_the_batch_and_writes_it_later(tmp_path: Path) -> None:
    store = TraceStore(tmp_path / "t.sqlite")
    store.write([root("a" * 32, 1)])
    locker = sqlite3.connect(store.path, isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")
    store._connect().execute("PRAGMA busy_timeout = 10")
    with pytest.raises(StoreError) as info:
        store.write([root("b" * 32, 2)])
    assert info.value.kind == "locked" and "t.sqlite" in str(info.value)
    locker.execute("ROLLBACK")
    store.write([root("c" * 32, 3)])
    assert {r.run_id[0] for r in store.list_runs()} == {"a", "b", "c"}


def test_a_run_left_open_by_a_dead_process_shows_as_running(store: TraceStore) -> None:
    tracer = Tracer([store])
    scope = tracer.run(agent="a").start()  # never ended: the process "died"
    assert tracer.flush()
    summary = store.get_run(scope.run_id)
    assert summary is not None and summary.status is SpanStatus.RUNNING


def test_run_ids_grow_with_time_and_are_found_by_their_shown_tail(store: TraceStore) -> None:
    # time-ordered ids keep the store's indexes appending; people see and type the tail
    first = new_id()
    time.sleep(0.002)
    second = new_id()
    assert len(first) == len(second) == 32 and first < second
    assert first[:8] == second[:8] and short_id(first) != short_id(second)
    store.write([root(first, 1000), root(second, 2000)])
    found = store.get_run(short_id(first))
    assert found is not None and found.run_id == first


def test_retention_deletes_use_indexes(store: TraceStore) -> None:
    # pruning deletes runs by trace and sums a run's tokens by run: both must be indexed
    # (a full scan per deleted run made every write 7x slower once retention kicked in)
    store.write([root(new_id(), 1000)])
    conn = sqlite3.connect(store.path)
    for sql in (
        "DELETE FROM runs WHERE trace_id = 'x'",
        "DELETE FROM spans WHERE trace_id = 'x'",
        "SELECT SUM(start_ns) FROM spans WHERE run_id = 'x' AND kind = 'model'",
    ):
        plan = " ".join(str(row[-1]) for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}"))
        assert "USING INDEX" in plan or "USING COVERING INDEX" in plan, (sql, plan)


KILLED_MID_RUN = """
import os, sys
from pathlib import Path
from springlet.tracing import Tracer, TraceStore
tracer = Tracer([TraceStore(Path(sys.argv[1]))])
scope = tracer.run(agent="doomed", input="q").start()
assert tracer.flush()
print(scope.run_id, flush=True)
os._exit(9)  # like kill -9 or a segfault: nothing gets to close the run
"""


def test_a_run_whose_process_died_shows_as_interrupted(store: TraceStore) -> None:
    done = subprocess.run(
        [sys.executable, "-c", KILLED_MID_RUN, str(store.path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 9, done.stderr
    run_id = done.stdout.strip()
    elsewhere = root(new_id(), 1000, SpanStatus.RUNNING)  # another machine's open run
    store.write([elsewhere.with_changes(end_ns=None, attributes={"host.name": "far-away"})])
    summary = store.get_run(run_id)
    assert summary is not None and summary.status is SpanStatus.ERROR
    assert summary.error is not None and "interrupted" in summary.error
    assert [r.run_id for r in store.list_runs(failed=True)] == [run_id]
    [span] = store.spans(run_id)
    assert span.status is SpanStatus.ERROR and span.error == summary.error
    still_open = store.get_run(elsewhere.run_id)
    assert still_open is not None and still_open.status is SpanStatus.RUNNING
