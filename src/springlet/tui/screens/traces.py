"""The Traces screen: a run table updated in place as runs are recorded, the selected
run's span tree (growing while the run goes on), and the highlighted span's detail.

Every store read runs in a worker; the table's rows change one by one (`update_cell`,
`add_row`, `remove_row`), never by recomposing the screen.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.coordinate import Coordinate
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static
from textual.widgets.data_table import RowDoesNotExist

from springlet import SpringletError
from springlet.tui.backend import RunRow, RunTree
from springlet.tui.span_detail import span_detail
from springlet.tui.trace_model import RunFilter, duration_text, parse_filter
from springlet.tui.widgets.span_tree import SpanTree

if TYPE_CHECKING:
    from springlet.tui.app import SpringletApp

MAX_ROWS = 300
"""Runs kept in the table: the oldest row goes when a new run comes in."""
MAX_PENDING = 2_000
"""Runs or spans waiting to be shown; beyond this the screen reads the store afresh."""
FLUSH_S = 0.25
COLUMNS = ("", "agent", "start", "duration", "ttft", "in", "out", "tools", "err")
_MARK = {"ok": "✓", "error": "✗", "running": "…", "cancelled": "⊘", "step_limit": "!"}


@dataclass
class RunsLoaded(Message):
    rows: list[RunRow]


@dataclass
class RunsChanged(Message):
    rows: list[RunRow]


@dataclass
class RunOpened(Message):
    tree: RunTree
    span_id: str | None = None


@dataclass
class SpansArrived(Message):
    run_id: str
    spans: list[Any]


class StartCell(str):
    """A start time as shown ("09:30:05") that sorts by its nanoseconds."""

    ns: int = 0

    @classmethod
    def of(cls, start_ns: int) -> StartCell:
        cell = cls(time.strftime("%H:%M:%S", time.localtime(start_ns / 1e9)))
        cell.ns = start_ns
        return cell


def row_cells(row: RunRow) -> tuple[str, ...]:
    """The table cells of a run."""
    run, stats = row.run, row.stats
    status = str(run.status)
    return (
        _MARK.get(status, "?"),
        run.agent,
        StartCell.of(run.start_ns),
        duration_text(run.duration_ms),
        duration_text(stats.ttft_ms) if stats.ttft_ms is not None else "-",
        str(run.input_tokens or 0),
        str(run.output_tokens or 0),
        str(stats.tool_calls),
        str(stats.errors) if stats.errors else "",
    )


class TracesScreen(Screen[None]):
    """Runs, one run's spans, one span's detail."""

    AUTO_FOCUS = "#runs"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", id="filter_runs"),
        Binding("escape", "back", "Back", id="back_to_chat"),
        Binding("r", "reload", "Reload", id="reload_runs", show=False),
    ]

    def __init__(self) -> None:
        super().__init__(name="Traces", id="traces-screen")
        self.filter = RunFilter()
        self._pending_runs: set[str] = set()
        self._pending_spans: list[Any] = []
        self._overflow = False
        self._recent: deque[Any] = deque(maxlen=MAX_PENDING)
        """The last spans seen: a run opened while it is recorded replays what it missed."""
        self._run_to_open: str | None = None

    @property
    def springlet(self) -> SpringletApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Input(
            placeholder="filter: agent:NAME status:error since:10m text",
            id="trace-filter",
        )
        table: DataTable[str] = DataTable(id="runs", cursor_type="row", zebra_stripes=True)
        for column in COLUMNS:
            table.add_column(column, key=column or "status")
        yield table
        with Horizontal(id="trace-body"):
            yield SpanTree(id="span-tree")
            with VerticalScroll(id="span-detail-box"):
                yield Static("select a run, then a span", id="span-detail", markup=False)
        yield Footer()

    @property
    def table(self) -> DataTable[str]:
        return self.query_one("#runs", DataTable)

    @property
    def span_tree(self) -> SpanTree:
        return self.query_one(SpanTree)

    def on_mount(self) -> None:
        self.load_runs()
        self.follow_runs()
        self.set_interval(FLUSH_S, self._flush)
        if self._run_to_open is not None:
            self.open_run(self._run_to_open)

    def show_run(self, run_id: str) -> None:
        """Open run `run_id` now, or as soon as the screen is mounted."""
        if self.is_mounted:
            self.open_run(run_id)
        else:
            self._run_to_open = run_id

    # -- the run table --------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="trace-list")
    def load_runs(self) -> None:
        f = self.filter
        try:
            rows = self.springlet.backend.run_table(
                agent=f.agent, status=f.status, text=f.text, since=f.since, limit=MAX_ROWS
            )
        except SpringletError as exc:
            self.app.notify(str(exc), severity="error")
            return
        self.post_message(RunsLoaded(rows))

    @on(RunsLoaded)
    def _runs_loaded(self, message: RunsLoaded) -> None:
        table = self.table
        table.clear()
        for row in message.rows:
            table.add_row(*row_cells(row), key=row.run.run_id)

    @work(exclusive=True, group="trace-follow")
    async def follow_runs(self) -> None:
        """Which runs get new spans: their rows are read again at the next flush."""
        try:
            async for span in self.springlet.backend.follow(None):
                self._take(span)
        except SpringletError as exc:
            self.app.notify(f"traces: {exc}", severity="error")

    def _take(self, span: Any) -> None:
        self._recent.append(span)
        if len(self._pending_runs) >= MAX_PENDING:
            self._overflow = True
        else:
            self._pending_runs.add(span.trace_id)
        if span.trace_id == self.span_tree.run_id:
            if len(self._pending_spans) >= MAX_PENDING:
                self._overflow = True
            else:
                self._pending_spans.append(span)

    def _flush(self) -> None:
        if self._overflow:
            self._overflow = False
            self._pending_runs.clear()
            self._pending_spans.clear()
            self.load_runs()
            if self.span_tree.run_id is not None:
                self.open_run(self.span_tree.run_id)
            return
        if self._pending_spans and self.span_tree.run_id is not None:
            spans, self._pending_spans = self._pending_spans, []
            self.span_tree.add_spans(spans)
        if self._pending_runs:
            ids, self._pending_runs = list(self._pending_runs), set()
            self._read_rows(ids)

    @work(thread=True, group="trace-rows")
    def _read_rows(self, run_ids: list[str]) -> None:
        try:
            rows = self.springlet.backend.run_rows(run_ids)
        except SpringletError:
            return
        self.post_message(RunsChanged(rows))

    @on(RunsChanged)
    def _runs_changed(self, message: RunsChanged) -> None:
        table = self.table
        for row in message.rows:
            if row.run.parent_run_id is not None or not self.filter.matches(row.run):
                continue
            key = row.run.run_id
            cells = row_cells(row)
            try:
                table.get_row_index(key)
            except RowDoesNotExist:
                self._add_newest(key, cells)
                continue
            for column, value in zip(table.columns, cells, strict=False):
                table.update_cell(key, column, value)

    def _add_newest(self, key: str, cells: tuple[str, ...]) -> None:
        table = self.table
        table.add_row(*cells, key=key)
        table.sort("start", key=lambda cell: getattr(cell, "ns", 0), reverse=True)
        while table.row_count > MAX_ROWS:  # the oldest row is the last one
            last = Coordinate(table.row_count - 1, 0)
            table.remove_row(table.coordinate_to_cell_key(last).row_key)

    # -- a run's tree ---------------------------------------------------------------------

    @on(DataTable.RowSelected, "#runs")
    def _run_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.open_run(event.row_key.value)

    @work(thread=True, exclusive=True, group="trace-open")
    def open_run(self, run_id: str, span_id: str | None = None) -> None:
        """Read run `run_id` and show its tree (`span_id`: highlight that span)."""
        try:
            tree = self.springlet.backend.run_tree(run_id)
        except SpringletError as exc:
            self.app.notify(str(exc), severity="error")
            return
        self.post_message(RunOpened(tree, span_id))

    @on(RunOpened)
    def _run_opened(self, message: RunOpened) -> None:
        tree = message.tree
        self._pending_spans.clear()
        self.span_tree.show(tree.run.run_id, tree.spans)
        self.span_tree.add_spans([s for s in self._recent if s.trace_id == tree.run.trace_id])
        if message.span_id is not None:
            self.span_tree.select_span(message.span_id)
        self.span_tree.focus()

    @on(SpanTree.SpanChosen)
    def _span_chosen(self, message: SpanTree.SpanChosen) -> None:
        self.query_one("#span-detail", Static).update(span_detail(message.span))

    # -- filter and keys ------------------------------------------------------------------

    @on(Input.Submitted, "#trace-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.filter = parse_filter(event.value)
        if self.filter.problem:
            self.app.notify(self.filter.problem, severity="warning")
        self.load_runs()
        self.table.focus()

    def action_filter(self) -> None:
        self.query_one("#trace-filter", Input).focus()

    def action_reload(self) -> None:
        self.load_runs()

    def action_back(self) -> None:
        self.springlet.go_to("Chat")

    async def wait_quiet(self) -> None:
        """For tests and the bench: let pending flushes happen."""
        await asyncio.sleep(FLUSH_S * 2)
