"""Damaged, unwritable, full and locked stores: each says which file and what to do; the
derived ones (traces, knowledge) can be set aside from the CLI; a run still answers."""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import pytest

from springlet.agents import memory
from springlet.sqlite_faults import StoreError
from springlet.tracing import Tracer, TraceStore, TracingWriteWarning
from springlet.tracing.spans import Span, SpanKind, SpanStatus

FaultWorkspace = Any  # the fault_ws fixture (tests/faults/conftest.py)
RunCli = Any  # the run_cli fixture

REPLY = '[Reply("Answer."), Reply("Answer."), Reply("Answer.")]'
GARBAGE = bytes(range(256)) * 20


def memory_agent(fault_ws: FaultWorkspace) -> Path:
    fault_ws.agent([], "advisors:\n  - memory: {}\n")
    root: Path = fault_ws.root
    (root / "springlet.yaml").write_text("embeddings: scripted:words\n")
    (root / "knowledge" / "docs").mkdir(parents=True)
    (root / "knowledge" / "docs.yaml").write_text(
        'name: docs\nsources:\n  - path: knowledge/docs/\n    glob: "*.md"\n'
    )
    (root / "knowledge" / "docs" / "a.md").write_text("# A\n\nHello there.\n")
    (root / ".springlet").mkdir()
    return root / ".springlet"


def run_agent(run_cli: RunCli, fault_ws: FaultWorkspace, *extra: str) -> Any:
    return run_cli(
        "run", "-w", str(fault_ws.root), *extra, "a", "hi", script=(fault_ws.script, REPLY)
    )


def test_damaged_traces_file_run_answers_says_so_once_and_traces_reset_recovers(
    fault_ws: FaultWorkspace, run_cli: RunCli
) -> None:
    data = memory_agent(fault_ws)
    (data / "traces.sqlite").write_bytes(GARBAGE)
    done = run_agent(run_cli, fault_ws)
    assert done.returncode == 0, done.stderr
    assert "Answer." in done.stdout
    assert done.stderr.count("traces.sqlite is damaged") == 1
    assert "springlet traces reset" in done.stderr
    assert "warnings.warn" not in done.stderr and "Traceback" not in done.stderr
    listing = run_cli("traces", "list", "-w", str(fault_ws.root))
    assert listing.returncode == 1
    assert "traces.sqlite is damaged" in listing.stderr and "Traceback" not in listing.stderr
    reset = run_cli("traces", "reset", "-w", str(fault_ws.root))
    assert reset.returncode == 0, reset.stderr
    assert [p.name.split("-")[0] for p in data.glob("traces.sqlite.damaged-*")] == [
        "traces.sqlite.damaged"
    ]
    assert run_agent(run_cli, fault_ws).returncode == 0
    listing = run_cli("traces", "list", "-w", str(fault_ws.root))
    assert listing.returncode == 0 and " a " in listing.stdout


def test_damaged_memory_file_run_answers_without_memory_and_says_so(
    fault_ws: FaultWorkspace, run_cli: RunCli
) -> None:
    data = memory_agent(fault_ws)
    (data / "memory.sqlite").write_bytes(GARBAGE)
    done = run_agent(run_cli, fault_ws)
    assert done.returncode == 0, done.stderr
    assert "Answer." in done.stdout
    assert done.stderr.count("memory.sqlite is damaged") == 1
    assert "in memory only" in done.stderr
    assert "Traceback" not in done.stderr
    assert (data / "memory.sqlite").read_bytes() == GARBAGE  # never thrown away


def test_damaged_knowledge_file_is_named_and_rebuild_sets_it_aside(
    fault_ws: FaultWorkspace, run_cli: RunCli
) -> None:
    data = memory_agent(fault_ws)
    (data / "knowledge.sqlite").write_bytes(GARBAGE)
    plain = run_cli("ingest", "-w", str(fault_ws.root))
    assert plain.returncode == 1
    assert "knowledge.sqlite is damaged" in plain.stderr
    assert "springlet ingest --rebuild" in plain.stderr and "Traceback" not in plain.stderr
    rebuilt = run_cli("ingest", "--rebuild", "-w", str(fault_ws.root))
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "moved it aside" in rebuilt.stderr
    assert "docs: 1 files" in rebuilt.stdout
    assert len(list(data.glob("knowledge.sqlite.damaged-*"))) == 1


def root_span(run_id: str, *, finished: bool = True) -> Span:
    return Span(
        span_id=run_id,
        trace_id=run_id,
        run_id=run_id,
        parent_id=None,
        seq=0,
        kind=SpanKind.AGENT,
        name="a",
        start_ns=time.time_ns(),
        end_ns=time.time_ns() if finished else None,
        status=SpanStatus.OK if finished else SpanStatus.RUNNING,
        error=None,
        attributes={},
    )


class FullDisk:
    """A connection whose writes fail like a full disk: SQLite rolls the transaction back
    itself, then reports SQLITE_FULL."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def executemany(self, *args: Any) -> Any:
        self.conn.execute("ROLLBACK")
        raise sqlite3.OperationalError("database or disk is full")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.conn, name)


def test_a_full_disk_is_reported_as_such_not_as_a_rollback_error(tmp_path: Path) -> None:
    store = TraceStore(tmp_path / "traces.sqlite")
    store.write([root_span("a" * 32)])
    store._local.conn = FullDisk(store._connect())
    with pytest.raises(StoreError) as info:
        store.write([root_span("b" * 32)])
    assert info.value.kind == "full"
    assert "disk is full" in str(info.value) and "traces.sqlite" in str(info.value)
    assert "rollback" not in str(info.value)


def test_a_read_only_store_names_the_file_and_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(sqlite3, "connect", refuse)
    with pytest.raises(StoreError) as info:
        TraceStore(tmp_path / "traces.sqlite").write([root_span("c" * 32)])
    assert info.value.kind == "read-only"
    assert "data_dir" in str(info.value) and "traces.sqlite" in str(info.value)


def test_a_trace_write_failure_is_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the data dir should be")
    tracer = Tracer([TraceStore(blocker / "traces.sqlite")])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with tracer.run(agent="a") as run:
            run.finish(output="fine")
        assert tracer.flush()
    assert len([w for w in caught if issubclass(w.category, TracingWriteWarning)]) == 1
    # before: the same text logged as a warning too, so the CLI printed it twice
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_memory_in_an_unusable_data_dir_falls_back_to_memory_only(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the data dir should be")
    with pytest.warns(memory.MemoryUnavailableWarning, match="memory.sqlite"):
        opened = memory.open_memory(blocker)
    assert opened.saver is not None  # an in-process memory: runs still remember
    opened.close()


LOCKER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
"""


@pytest.mark.slow
def test_a_locked_trace_store_is_reported(fault_ws: FaultWorkspace, run_cli: RunCli) -> None:
    data = memory_agent(fault_ws)
    assert run_agent(run_cli, fault_ws).returncode == 0  # the store exists
    locker = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(data / "traces.sqlite"), "40"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert locker.stdout is not None and locker.stdout.readline().strip() == "locked"
        done = run_agent(run_cli, fault_ws)
    finally:
        locker.kill()
        locker.wait()
    assert done.returncode == 0 and "Answer." in done.stdout
    assert "traces" in done.stderr and ("locked" in done.stderr or "gave up" in done.stderr)
    assert "Traceback" not in done.stderr
    assert os.environ.get("SPRINGLET_DEBUG") is None


def test_a_run_whose_end_could_not_be_written_does_not_claim_a_plain_interruption(
    tmp_path: Path,
) -> None:
    from dataclasses import replace

    from springlet.tracing.spans import HOST, HOST_NAME, PROCESS_PID

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    store = TraceStore(tmp_path / "traces.sqlite")
    opened = replace(
        root_span("d" * 32, finished=False), attributes={PROCESS_PID: dead.pid, HOST_NAME: HOST}
    )
    store.write([opened])
    store._local.conn = FullDisk(store._connect())
    with pytest.raises(StoreError):
        store.write([replace(opened, end_ns=time.time_ns(), status=SpanStatus.OK)])
    (run,) = TraceStore(tmp_path / "traces.sqlite").list_runs()
    assert run.status is SpanStatus.ERROR
    assert run.error is not None and "its trace could not be written" in run.error
