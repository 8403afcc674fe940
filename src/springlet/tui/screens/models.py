"""The Models screen: Ollama's models (family, size, quantization, context length,
capabilities, fit for this machine, loaded), the embedded ones, which model `auto`
picks now and why, pulling with progress and cancel, and a banner when the app runs
on the embedded model because Ollama is not reachable."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, ProgressBar, Static

from springlet import SpringletError
from springlet.tui.backend import ModelInfo

if TYPE_CHECKING:
    from springlet.tui.app import SpringletApp

COLUMNS = ("model", "family", "size", "quant", "context", "capabilities", "fit", "loaded")


@dataclass
class ModelsListed(Message):
    models: list[ModelInfo]
    auto_reference: str
    auto_reason: str


@dataclass
class PullStep(Message):
    status: str
    completed: int | None
    total: int | None


@dataclass
class PullEnded(Message):
    text: str
    failed: bool = False


def size_text(size: int | None) -> str:
    if size is None:
        return "-"
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return "-"


def model_cells(info: ModelInfo) -> tuple[str, ...]:
    params = f"{info.parameters} · " if info.parameters else ""
    return (
        info.reference,
        info.family or "-",
        params + size_text(info.size_bytes),
        info.quantization or "-",
        str(info.context_length) if info.context_length else "-",
        ", ".join(info.capabilities) or "-",
        info.fit or "-",
        "●" if info.loaded else "",
    )


class ModelsScreen(Screen[None]):
    """Models, `auto`'s choice, pull."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "pull", "Pull", id="pull_model"),
        Binding("x", "cancel_work", "Cancel pull", id="cancel_work"),
        Binding("r", "reload", "Reload", id="reload_models"),
        Binding("escape", "back", "Back", id="back_to_chat", show=False),
    ]

    def __init__(self) -> None:
        super().__init__(name="Models", id="models-screen")
        self.cancel_flag: threading.Event | None = None

    @property
    def springlet(self) -> SpringletApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static("", id="models-banner", markup=False)
        yield Static("asking Ollama…", id="auto-choice", markup=False)
        table: DataTable[str] = DataTable(id="models", cursor_type="row")
        for column in COLUMNS:
            table.add_column(column, key=column)
        yield table
        yield Input(placeholder="model to pull, e.g. qwen2.5:7b (Enter)", id="pull-name")
        with Horizontal(id="pull-bar"):
            yield ProgressBar(id="pull-progress", show_eta=False)
            yield Static("", id="pull-status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#models-banner").display = False
        self.query_one("#pull-progress").display = False  # shown once a pull starts
        self.list_models()

    @work(thread=True, exclusive=True, group="models-list")
    def list_models(self) -> None:
        models = self.springlet.backend.models
        try:
            found = models.list()
            choice = models.auto_choice()
        except SpringletError as exc:
            self.app.notify(str(exc), severity="error")
            return
        self.post_message(ModelsListed(found, choice.reference, choice.reason))

    @on(ModelsListed)
    def _listed(self, message: ModelsListed) -> None:
        table = self.query_one("#models", DataTable)
        table.clear()
        for info in message.models:
            table.add_row(*model_cells(info), key=info.reference)
        self.query_one("#auto-choice", Static).update(
            f"auto → {message.auto_reference}: {message.auto_reason}"
        )
        banner = self.query_one("#models-banner", Static)
        embedded = message.auto_reference.startswith("embedded:")
        banner.display = embedded
        if embedded:
            banner.update(
                f"Ollama is not reachable: running on the embedded model {message.auto_reference}"
            )

    def action_reload(self) -> None:
        self.list_models()

    # -- pull -----------------------------------------------------------------------------

    def action_pull(self) -> None:
        self.query_one("#pull-name", Input).focus()

    @on(Input.Submitted, "#pull-name")
    def _pull_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        name = event.value.strip()
        if not name:
            return
        if self.cancel_flag is not None:
            self.app.notify("a pull is running: x cancels it", severity="warning")
            return
        self.cancel_flag = threading.Event()
        self.query_one("#pull-progress").display = True
        self.query_one("#pull-status", Static).update(f"pulling {name}…")
        self._pull(name, self.cancel_flag)

    @work(thread=True, exclusive=True, group="models-pull")
    def _pull(self, name: str, cancel: threading.Event) -> None:
        def step(line: Any) -> None:
            completed = getattr(line, "completed", None)
            total = getattr(line, "total", None)
            self.post_message(PullStep(str(getattr(line, "status", "")), completed, total))

        try:
            self.springlet.backend.models.pull(name, on_progress=step, cancel=cancel)
        except SpringletError as exc:
            self.post_message(PullEnded(str(exc), failed=True))
            return
        except Exception as exc:  # a server that dies mid-download
            self.post_message(PullEnded(f"{type(exc).__name__}: {exc}", failed=True))
            return
        said = "cancelled" if cancel.is_set() else "pulled"
        self.post_message(PullEnded(f"{name}: {said}"))

    @on(PullStep)
    def _step(self, message: PullStep) -> None:
        bar = self.query_one("#pull-progress", ProgressBar)
        if message.total:
            bar.update(total=message.total, progress=message.completed or 0)
        self.query_one("#pull-status", Static).update(message.status)

    @on(PullEnded)
    def _ended(self, message: PullEnded) -> None:
        self.cancel_flag = None
        status = self.query_one("#pull-status", Static)
        status.set_class(message.failed, "-error")
        status.update(message.text)
        self.list_models()

    def action_cancel_work(self) -> None:
        if self.cancel_flag is not None:
            self.cancel_flag.set()
            self.query_one("#pull-status", Static).update("cancelling…")

    def action_back(self) -> None:
        self.springlet.go_to("Chat")
