"""What the Traces screen computes from spans, apart from any widget: an index of a
run's span tree that grows as spans arrive, rollups of what lies below a span, the
waterfall bar on the run's time scale, and the run table's filter.

Spans are duck-typed (`springlet.tracing` is not public API for the TUI): they have
`span_id`, `parent_id`, `run_id`, `kind`, `name`, `start_ns`, `end_ns`, `status`,
`attributes`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

INPUT_TOKENS = "gen_ai.usage.input_tokens"
OUTPUT_TOKENS = "gen_ai.usage.output_tokens"


@dataclass(frozen=True)
class Rollup:
    """What a span and everything below it add up to."""

    spans: int
    input_tokens: int
    output_tokens: int
    errors: int


class SpanIndex:
    """A run's spans by id and by parent; spans may arrive in any order (children
    finish, and are stored, before their parents)."""

    def __init__(self, root_id: str, spans: Iterable[Any] = ()) -> None:
        self.root_id = root_id
        self.spans: dict[str, Any] = {}
        self._children: dict[str, list[str]] = {}
        self._rollups: dict[str, Rollup] = {}
        self._scale: tuple[int, int] | None = None
        for span in spans:
            self.add(span)

    def __len__(self) -> int:
        return len(self.spans)

    def add(self, span: Any) -> str | None:
        """Index `span` (a newer version of a known span replaces it); the id of the
        parent it shows under, or None for the root or a span already known."""
        known = span.span_id in self.spans
        self.spans[span.span_id] = span
        self._scale = None
        self._forget_rollups(span.span_id)
        if known or span.span_id == self.root_id:
            return None
        declared = span.parent_id if span.parent_id not in (None, span.span_id) else self.root_id
        self._children.setdefault(declared, []).append(span.span_id)
        return self.parent_of(span)

    def parent_of(self, span: Any) -> str:
        """The parent's id; a span whose parent is not stored (yet) hangs below the root."""
        parent = span.parent_id
        if parent is None or parent == span.span_id or parent not in self.spans:
            return self.root_id
        return str(parent)

    def _below(self, span_id: str) -> list[str]:
        below = list(self._children.get(span_id, ()))
        if span_id == self.root_id:  # and the spans whose parent is not stored
            for parent, ids in self._children.items():
                if parent != self.root_id and parent not in self.spans:
                    below.extend(ids)
        return below

    def children(self, span_id: str) -> list[Any]:
        """The spans below `span_id`, in start order."""
        below = [self.spans[i] for i in self._below(span_id)]
        return sorted(below, key=lambda s: (s.start_ns, getattr(s, "seq", 0)))

    def has_children(self, span_id: str) -> bool:
        return bool(self._below(span_id))

    def ancestors(self, span_id: str) -> list[str]:
        """Ids from the parent of `span_id` up to the root."""
        found: list[str] = []
        span = self.spans.get(span_id)
        while span is not None and span.span_id != self.root_id and len(found) < 1000:
            parent = self.parent_of(span)
            found.append(parent)
            span = self.spans.get(parent)
        return found

    def rollup(self, span_id: str) -> Rollup:
        """Totals of `span_id` and its descendants (kept until a span below changes)."""
        cached = self._rollups.get(span_id)
        if cached is not None:
            return cached
        order: list[str] = []
        stack = [span_id]
        while stack:  # no recursion: a deep tree must not overflow the stack
            current = stack.pop()
            order.append(current)
            stack.extend(self._below(current))
        for current in reversed(order):
            if current in self._rollups:
                continue
            span = self.spans.get(current)
            own = _own(span)
            below = [self._rollups[c] for c in self._below(current)]
            self._rollups[current] = Rollup(
                own.spans + sum(r.spans for r in below),
                own.input_tokens + sum(r.input_tokens for r in below),
                own.output_tokens + sum(r.output_tokens for r in below),
                own.errors + sum(r.errors for r in below),
            )
        return self._rollups[span_id]

    def _forget_rollups(self, span_id: str) -> None:
        self._rollups.pop(span_id, None)
        span = self.spans.get(span_id)
        if span is not None and span_id != self.root_id:
            for ancestor in self.ancestors(span_id):
                self._rollups.pop(ancestor, None)

    def time_scale(self) -> tuple[int, int]:
        """(start, end) of the run in ns; an open run ends at its latest span end (or
        now), as of the last span added."""
        if self._scale is None:
            self._scale = self._measure_scale()
        return self._scale

    def _measure_scale(self) -> tuple[int, int]:
        root = self.spans.get(self.root_id)
        starts = [s.start_ns for s in self.spans.values()]
        start = root.start_ns if root is not None else min(starts, default=0)
        ends = [s.end_ns for s in self.spans.values() if s.end_ns is not None]
        end = root.end_ns if root is not None and root.end_ns is not None else None
        if end is None:
            end = max([*ends, time.time_ns()])
        return start, max(end, start + 1)


def _own(span: Any) -> Rollup:
    if span is None:
        return Rollup(0, 0, 0, 0)
    attributes = span.attributes
    return Rollup(
        1,
        int(attributes.get(INPUT_TOKENS) or 0),
        int(attributes.get(OUTPUT_TOKENS) or 0),
        int(str(span.status) == "error"),
    )


def waterfall_bar(start_ns: int, end_ns: int | None, scale: tuple[int, int], width: int) -> str:
    """A bar of `width` cells: where the span lies on the run's time scale (an open
    span reaches the scale's end)."""
    begin, finish = scale
    total = max(finish - begin, 1)
    end = finish if end_ns is None else end_ns
    left = round((start_ns - begin) / total * width)
    left = min(max(left, 0), width - 1)
    right = max(round((end - begin) / total * width), left + 1)
    right = min(right, width)
    return " " * left + "█" * (right - left) + " " * (width - right)


def duration_text(ms: float | None) -> str:
    """`850ms`, `12.3s`, `4m05s`; `…` for a span still running."""
    if ms is None:
        return "…"
    if ms < 1000:
        return f"{ms:.0f}ms"
    if ms < 60_000:
        return f"{ms / 1000:.1f}s"
    minutes, seconds = divmod(int(ms / 1000), 60)
    return f"{minutes}m{seconds:02d}s"


# -- the run table's filter -------------------------------------------------------------

_FILTER_WORD = re.compile(r"(agent|status|since):(\S+)")
_SINCE = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


@dataclass(frozen=True)
class RunFilter:
    """`agent:NAME status:STATUS since:10m free text` as typed in the filter box."""

    agent: str | None = None
    status: str | None = None
    since: datetime | None = None
    text: str = ""
    problem: str | None = None
    """What in the typed filter could not be read (it is then ignored)."""

    def matches(self, run: Any) -> bool:
        """True when the run summary passes every part of the filter."""
        if self.agent is not None and run.agent != self.agent:
            return False
        if self.status is not None and str(run.status) != self.status:
            return False
        if self.since is not None and run.start_ns < self.since.timestamp() * 1e9:
            return False
        if self.text:
            searchable = " ".join(
                str(x) for x in (run.input, run.output, run.error, run.agent) if x
            )
            return self.text.casefold() in searchable.casefold()
        return True


STATUSES = ("ok", "error", "running", "cancelled", "step_limit")


def parse_filter(typed: str, now: datetime | None = None) -> RunFilter:
    """Read the filter box: `agent:`, `status:` and `since:` (like 10m, 2h, 1d) words,
    the rest is text to find in the run's input, output or error."""
    found: dict[str, str] = {}
    for key, value in _FILTER_WORD.findall(typed):
        found[key] = value
    text = " ".join(_FILTER_WORD.sub(" ", typed).split())
    problem = None
    status = found.get("status")
    if status is not None and status not in STATUSES:
        problem = f"status '{status}' is none of {', '.join(STATUSES)}"
        status = None
    since = None
    if "since" in found:
        matched = _SINCE.match(found["since"])
        if matched is None:
            problem = f"since '{found['since']}': write it like 30s, 10m, 2h or 1d"
        else:
            delta = timedelta(**{_UNITS[matched[2]]: int(matched[1])})
            since = (now or datetime.now(UTC)) - delta
    return RunFilter(found.get("agent"), status, since, text, problem)
