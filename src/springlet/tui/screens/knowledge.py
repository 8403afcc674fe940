"""The Knowledge screen: the collections (files, chunks, embedder, store, last ingest,
stale files), an ingest with a progress bar that can be cancelled, and a search box
showing ranked chunks, with the chunk's text on selection."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, ProgressBar, Static

from springlet import SpringletError
from springlet.tui.backend import CollectionInfo

if TYPE_CHECKING:
    from springlet.tui.app import SpringletApp

COLUMNS = ("collection", "files", "chunks", "stale", "embedder", "store", "last ingest")


@dataclass
class CollectionsListed(Message):
    collections: list[CollectionInfo]


@dataclass
class IngestStep(Message):
    done: int
    total: int
    path: str


@dataclass
class IngestEnded(Message):
    text: str
    failed: bool = False


@dataclass
class HitsFound(Message):
    query: str
    hits: list[Any]


def collection_cells(info: CollectionInfo) -> tuple[str, ...]:
    last = info.last_ingest.strftime("%Y-%m-%d %H:%M") if info.last_ingest else "never"
    stale = f"{info.stale_files} ⚠" if info.stale_files else "0"
    return (info.name, str(info.files), str(info.chunks), stale, info.embedder, info.store, last)


class KnowledgeScreen(Screen[None]):
    """Collections, ingest, search."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("i", "ingest", "Ingest", id="ingest"),
        Binding("x", "cancel_work", "Cancel", id="cancel_work"),
        Binding("slash", "search", "Search", id="search_knowledge"),
        Binding("escape", "back", "Back", id="back_to_chat", show=False),
    ]

    def __init__(self) -> None:
        super().__init__(name="Knowledge", id="knowledge-screen")
        self.cancel_flag: threading.Event | None = None
        self.hits: list[Any] = []

    @property
    def springlet(self) -> SpringletApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        table: DataTable[str] = DataTable(id="collections", cursor_type="row")
        for column in COLUMNS:
            table.add_column(column, key=column)
        yield table
        with Horizontal(id="ingest-bar"):
            yield ProgressBar(id="ingest-progress", show_eta=False)
            yield Static("", id="ingest-status", markup=False)
        yield Input(placeholder="search the highlighted collection (Enter)", id="kb-search")
        with Horizontal(id="kb-body"):
            yield DataTable(id="hits", cursor_type="row")
            with VerticalScroll(id="chunk-box"):
                yield Static("", id="chunk-text", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        hits = self.query_one("#hits", DataTable)
        # fixed widths: the columns do not jump as results come and go
        for column, width in (("score", 5), ("source", 18), ("heading", 14)):
            hits.add_column(column, key=column, width=width)
        self.query_one("#ingest-progress").display = False  # shown once an ingest starts
        self.list_collections()

    @property
    def collection(self) -> str | None:
        table = self.query_one("#collections", DataTable)
        if table.row_count == 0:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    @work(thread=True, exclusive=True, group="kb-list")
    def list_collections(self) -> None:
        try:
            found = self.springlet.backend.knowledge.list()
        except SpringletError as exc:
            self.app.notify(str(exc), severity="error")
            return
        self.post_message(CollectionsListed(found))

    @on(CollectionsListed)
    def _listed(self, message: CollectionsListed) -> None:
        table = self.query_one("#collections", DataTable)
        chosen = self.collection
        table.clear()
        for info in message.collections:
            table.add_row(*collection_cells(info), key=info.name)
        names = [c.name for c in message.collections]
        if chosen in names:
            table.move_cursor(row=names.index(chosen))
        if not names:
            self.query_one("#ingest-status", Static).update("no collections in this workspace")

    # -- ingest ---------------------------------------------------------------------------

    def action_ingest(self) -> None:
        name = self.collection
        if name is None:
            return
        if self.cancel_flag is not None:
            self.app.notify("an ingest is running: x cancels it", severity="warning")
            return
        self.cancel_flag = threading.Event()
        self.query_one("#ingest-progress").display = True
        self.query_one("#ingest-status", Static).update(f"ingesting {name}…")
        self._ingest(name, self.cancel_flag)

    @work(thread=True, exclusive=True, group="kb-ingest")
    def _ingest(self, name: str, cancel: threading.Event) -> None:
        def step(progress: Any) -> None:
            self.post_message(IngestStep(progress.done, progress.total, progress.path))

        try:
            report = self.springlet.backend.knowledge.ingest(name, on_progress=step, cancel=cancel)
        except SpringletError as exc:
            self.post_message(IngestEnded(str(exc), failed=True))
            return
        if getattr(report, "cancelled", False):
            self.post_message(IngestEnded(f"{name}: cancelled (what was written is kept)"))
        else:
            self.post_message(IngestEnded(f"{name}: ingested ({_report_text(report)})"))

    @on(IngestStep)
    def _step(self, message: IngestStep) -> None:
        bar = self.query_one("#ingest-progress", ProgressBar)
        bar.update(total=max(message.total, 1), progress=message.done)
        self.query_one("#ingest-status", Static).update(
            f"{message.done}/{message.total} {message.path}"
        )

    @on(IngestEnded)
    def _ended(self, message: IngestEnded) -> None:
        self.cancel_flag = None
        status = self.query_one("#ingest-status", Static)
        status.set_class(message.failed, "-error")
        status.update(message.text)
        self.list_collections()

    def action_cancel_work(self) -> None:
        if self.cancel_flag is not None:
            self.cancel_flag.set()
            self.query_one("#ingest-status", Static).update("cancelling…")

    # -- search ---------------------------------------------------------------------------

    def action_search(self) -> None:
        self.query_one("#kb-search", Input).focus()

    @on(Input.Submitted, "#kb-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        name = self.collection
        if name is not None and event.value.strip():
            self._search(name, event.value.strip())

    @work(thread=True, exclusive=True, group="kb-search")
    def _search(self, name: str, query: str) -> None:
        try:
            hits = self.springlet.backend.knowledge.search(name, query, top_k=8)
        except SpringletError as exc:
            self.app.notify(str(exc), severity="error")
            return
        self.post_message(HitsFound(query, hits))

    @on(HitsFound)
    def _hits(self, message: HitsFound) -> None:
        self.hits = message.hits
        table = self.query_one("#hits", DataTable)
        table.clear()
        for number, hit in enumerate(message.hits):
            table.add_row(f"{hit.score:.2f}", hit.source, hit.heading or "", key=str(number))
        if message.hits:
            self._show_chunk(0)
        else:
            self.query_one("#chunk-text", Static).update(f"nothing found for '{message.query}'")

    @on(DataTable.RowHighlighted, "#hits")
    def _hit_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self._show_chunk(int(event.row_key.value))

    def _show_chunk(self, number: int) -> None:
        if 0 <= number < len(self.hits):
            hit = self.hits[number]
            heading = f" > {hit.heading}" if hit.heading else ""
            text = f"{hit.source}{heading} · {hit.score:.2f}\n\n{hit.text}"
            self.query_one("#chunk-text", Static).update(text)

    def action_back(self) -> None:
        self.springlet.go_to("Chat")


def _report_text(report: Any) -> str:
    return (
        f"{report.files} files, {report.changed} changed, {report.deleted} deleted, "
        f"{report.chunks} chunks, {report.seconds:.1f} s"
    )
