"""A session's transcript: stored messages turned into entries a reader (the TUI) shows.

Tool results are attached to the assistant entry whose tool call they answer. Each
user turn is matched to the traced run that answered it (the session's top-level runs,
in start order, whose input is that message); from that run come the entries' `run_id`,
the tools' durations and the sources its retrievals found. Untraced turns (tracing off,
or runs pruned by retention) simply have none of those.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from springlet.tracing import spans as attr
from springlet.tracing.spans import Span, SpanKind
from springlet.tracing.store import STORE_FILE, RunSummary, TraceStore

if TYPE_CHECKING:
    from langchain_core.messages import BaseMessage

ToolStatus = Literal["ok", "failed", "rejected"]
_REJECTION_MARKS = ("did not approve running", "needs human approval and nobody was asked")
"""How the tool guard words a call that a person refused (or nobody was asked about)."""


@dataclass(frozen=True)
class ToolCallRecord:
    """One tool call of an assistant turn, with the result it got."""

    id: str
    name: str
    arguments: dict[str, Any]
    result: str | None
    """None when the call never got an answer (a cancelled turn)."""
    status: ToolStatus
    duration_ms: float | None = None


@dataclass(frozen=True)
class TranscriptEntry:
    """One message of a conversation."""

    role: Literal["user", "assistant", "tool"]
    text: str
    tool_calls: tuple[ToolCallRecord, ...] = ()
    sources: tuple[dict[str, Any], ...] = ()
    run_id: str | None = None


@dataclass(frozen=True)
class Transcript:
    """A whole conversation, oldest entry first."""

    session_id: str
    agent: str | None
    entries: tuple[TranscriptEntry, ...] = field(default=())


@dataclass
class _Turn:
    run: RunSummary | None = None
    spans: list[Span] = field(default_factory=list)


def build_transcript(
    messages: Sequence[BaseMessage], data_dir: Path, session_id: str
) -> tuple[TranscriptEntry, ...]:
    """Entries for `messages` (a LangGraph thread's `messages` channel)."""
    results = {m.tool_call_id: m for m in messages if m.type == "tool"}  # type: ignore[attr-defined]
    runs = iter(session_runs(data_dir, session_id))
    store = _store(data_dir)
    try:
        return _entries(messages, results, runs, store)
    finally:
        if store is not None:
            store.close()


def _entries(
    messages: Sequence[BaseMessage], results: dict[str, Any], runs: Any, store: TraceStore | None
) -> tuple[TranscriptEntry, ...]:
    from springlet._runtime.messages import text_of

    called: set[str] = set()
    turn = _Turn()
    entries: list[TranscriptEntry] = []
    for message in messages:
        text = text_of(message.content)
        if message.type == "human":
            turn = _next_turn(runs, text, store)
            entries.append(TranscriptEntry("user", text, run_id=_run_id(turn)))
        elif message.type == "ai":
            calls = tuple(
                _call(call, results.get(call.get("id") or ""), turn)
                for call in getattr(message, "tool_calls", ())
            )
            called.update(c.id for c in calls)
            entries.append(TranscriptEntry("assistant", text, calls, run_id=_run_id(turn)))
        elif message.type == "tool" and message.tool_call_id not in called:  # type: ignore[attr-defined]
            entries.append(TranscriptEntry("tool", text, run_id=_run_id(turn)))
    return _with_sources(entries, store)


def _run_id(turn: _Turn) -> str | None:
    return turn.run.run_id if turn.run else None


def _next_turn(runs: Any, user_text: str, store: TraceStore | None) -> _Turn:
    """The next traced run whose input is this user message (runs that don't match are
    turns whose messages are gone, or runs of this session that stored nothing)."""
    for run in runs:
        if run.input == user_text:
            spans = _own_spans(store, run.run_id) if store else []
            return _Turn(run, spans)
    return _Turn()


def _call(call: dict[str, Any], result: Any, turn: _Turn) -> ToolCallRecord:
    from springlet._runtime.messages import text_of

    call_id = str(call.get("id") or "")
    text = None if result is None else text_of(result.content)
    status: ToolStatus = "ok"
    if result is not None and getattr(result, "status", "success") == "error":
        rejected = any(mark in (text or "") for mark in _REJECTION_MARKS)
        status = "rejected" if rejected else "failed"
    span = next(
        (
            s
            for s in turn.spans
            if s.kind is SpanKind.TOOL and s.attributes.get(attr.TOOL_CALL_ID) == call_id
        ),
        None,
    )
    return ToolCallRecord(
        id=call_id,
        name=str(call.get("name", "")),
        arguments=dict(call.get("args") or {}),
        result=text,
        status=status,
        duration_ms=span.duration_ms if span else None,
    )


def _with_sources(
    entries: list[TranscriptEntry], store: TraceStore | None
) -> tuple[TranscriptEntry, ...]:
    """The sources of each traced run go on the run's last assistant entry."""
    if store is None:
        return tuple(entries)
    last_of_run: dict[str, int] = {
        e.run_id: i for i, e in enumerate(entries) if e.role == "assistant" and e.run_id
    }
    out = list(entries)
    for run_id, index in last_of_run.items():
        sources = _retrieved(_own_spans(store, run_id), run_id)
        if sources:
            entry = out[index]
            out[index] = TranscriptEntry(
                entry.role, entry.text, entry.tool_calls, tuple(sources), entry.run_id
            )
    return tuple(out)


def _retrieved(spans: list[Span], run_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for span in spans:
        if span.kind is SpanKind.RETRIEVAL and span.run_id == run_id:
            value = span.attributes.get(attr.RETRIEVAL_SOURCES) or []
            found.extend(dict(s) for s in value if isinstance(s, dict))
    return found


def _own_spans(store: TraceStore, run_id: str) -> list[Span]:
    """The run's own spans by run id: a span whose parent was never stored (a retrieval
    below an advisor that recorded no span of its own) is missing from the store's tree."""
    from springlet.workspace.traces_view import span_columns, span_from_row

    conn = sqlite3.connect(f"file:{store.path}?mode=ro", uri=True, timeout=10.0)
    try:
        rows = conn.execute(
            f"SELECT {span_columns()} FROM spans WHERE run_id = ? ORDER BY start_ns, seq",
            (run_id,),
        ).fetchall()
    finally:
        conn.close()
    return [span_from_row(row) for row in rows]


def _store(data_dir: Path) -> TraceStore | None:
    path = data_dir / STORE_FILE
    return TraceStore(path) if path.exists() else None


def session_runs(data_dir: Path, session_id: str) -> list[RunSummary]:
    """The session's top-level traced runs, oldest first. A run given no session id
    remembers its conversation under its own run id, so that counts as its session."""
    path = data_dir / STORE_FILE
    if not path.exists():
        return []
    ids: list[str] = []
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10.0)
    try:
        rows = conn.execute(
            "SELECT run_id FROM runs WHERE parent_run_id IS NULL AND "
            "(session_id = ? OR (session_id IS NULL AND run_id = ?)) ORDER BY start_ns",
            (session_id, session_id),
        ).fetchall()
        ids = [str(r[0]) for r in rows]
    except sqlite3.OperationalError:  # a store still being created: no runs yet
        return []
    finally:
        conn.close()
    store = TraceStore(path)
    try:
        runs = [store.get_run(run_id) for run_id in ids]
    finally:
        store.close()
    return [r for r in runs if r is not None]
