"""The Workspace screen: the definition files as a tree, an editor validated as you
type (in a worker, debounced, against the unsaved text), save + reload, changes made
outside the app picked up through the watcher, and a form to try a prompt.

Files are read, written and validated through the backend (the facade); nothing here
touches the file system.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, OptionList, Static, TextArea, Tree
from textual.widgets.option_list import Option

from springlet import SpringletError
from springlet.tui.backend import ReloadReport, WatchHandle, WorkspaceChanged, WorkspaceFile
from springlet.tui.prompt_inputs import input_fields
from springlet.tui.screens.dialogs import ConfirmScreen
from springlet.tui.screens.prompt_form import PromptFormScreen
from springlet.tui.widgets.code_editor import CodeEditor

if TYPE_CHECKING:
    from springlet.tui.app import SpringletApp

DEBOUNCE_S = 0.3
"""Validation waits this long after the last keystroke."""
KINDS = ("agents", "prompts", "tools", "knowledge", "settings")


@dataclass
class FilesListed(Message):
    files: list[WorkspaceFile]


@dataclass
class FileRead(Message):
    file: WorkspaceFile
    text: str


@dataclass
class ProblemsFound(Message):
    path: Path
    text: str
    """The buffer that was validated (a result for an older buffer is dropped)."""
    problems: tuple[Any, ...]


@dataclass
class FileSaved(Message):
    path: Path
    text: str
    report: ReloadReport


@dataclass
class ChangedOutside(Message):
    event: WorkspaceChanged


class WorkspaceScreen(Screen[None]):
    """Files, editor, problems."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="save_file"),
        Binding("ctrl+r", "try_prompt", "Try prompt", id="try_prompt"),
        Binding("ctrl+j", "next_problem", "Next problem", id="next_problem"),
        Binding("escape", "back", "Back", id="back_to_chat", show=False),
    ]

    def __init__(self) -> None:
        super().__init__(name="Workspace", id="workspace-screen")
        self.file: WorkspaceFile | None = None
        self.saved_text = ""
        """The file's text as last read or saved: the buffer differs when unsaved."""
        self.problems: tuple[Any, ...] = ()
        self._timer: Timer | None = None
        self._watch: WatchHandle | None = None
        self._last_validated: str | None = None
        """The buffer whose problems are shown."""
        self._asking = False
        """A question about replacing the unsaved buffer is open."""

    @property
    def springlet(self) -> SpringletApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Horizontal(id="workspace-body"):
            tree: Tree[str] = Tree("workspace", id="files")
            tree.show_root = False
            yield tree
            with Vertical(id="editor-pane"):
                yield Static("open a file from the tree", id="editor-status", markup=False)
                yield CodeEditor(id="editor")
                yield OptionList(id="problems")
        yield Footer()

    @property
    def editor(self) -> CodeEditor:
        return self.query_one(CodeEditor)

    @property
    def modified(self) -> bool:
        return self.file is not None and self.editor.text != self.saved_text

    def on_mount(self) -> None:
        self.list_files()
        self.start_watch()

    def on_unmount(self) -> None:
        if self._watch is not None:
            self._watch.stop(timeout_s=1.0)

    def status(self, text: str, kind: str = "info") -> None:
        status = self.query_one("#editor-status", Static)
        status.set_classes(f"-{kind}")
        status.update(text)

    # -- files ----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="ws-files")
    def list_files(self) -> None:
        self.post_message(FilesListed(self.springlet.backend.files()))

    @on(FilesListed)
    def _files_listed(self, message: FilesListed) -> None:
        tree = self.query_one("#files", Tree)
        tree.clear()
        for kind in KINDS:
            files = [f for f in message.files if f.kind == kind]
            if not files:
                continue
            branch = tree.root.add(kind, expand=True)
            for file in files:
                branch.add_leaf(file.path.name, str(file.path))
        self._files = {str(f.path): f for f in message.files}

    @on(Tree.NodeSelected, "#files")
    def _file_chosen(self, event: Tree.NodeSelected[str]) -> None:
        file = getattr(self, "_files", {}).get(event.node.data or "")
        if file is not None:
            self.open_file(file)

    @work(thread=True, exclusive=True, group="ws-read")
    def open_file(self, file: WorkspaceFile) -> None:
        """Read `file` into the editor."""
        try:
            text = self.springlet.backend.read_file(file.path)
        except SpringletError as exc:
            self.app.notify(str(exc), severity="error")
            return
        self.post_message(FileRead(file, text))

    @on(FileRead)
    def _file_read(self, message: FileRead) -> None:
        self.file, self.saved_text = message.file, message.text
        language = None if message.file.language == "text" else message.file.language
        self.editor.set_text(message.text, language)
        self.status(f"{message.file.path}")
        self.editor.focus()
        self.validate_now()

    # -- validation as you type -----------------------------------------------------------

    @on(TextArea.Changed, "#editor")
    def _edited(self) -> None:
        if self.file is None:
            return
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(DEBOUNCE_S, self.validate_now)

    def validate_now(self) -> None:
        if self.file is not None:
            self._validate(self.file.path, self.editor.text)

    @work(thread=True, exclusive=True, group="ws-validate")
    def _validate(self, path: Path, text: str) -> None:
        problems = self.springlet.backend.validate_text(path, text)
        self.post_message(ProblemsFound(path, text, problems))

    @on(ProblemsFound)
    def _problems_found(self, message: ProblemsFound) -> None:
        if self.file is None or message.path != self.file.path:
            return
        if message.text != self.editor.text:
            return  # the buffer changed since: its own validation is on the way
        self._last_validated = message.text
        self.show_problems(message.problems)

    def show_problems(self, problems: tuple[Any, ...]) -> None:
        self.problems = problems
        marks = [(p.location.line if p.location else 1, p.message) for p in problems]
        self.editor.mark_lines(marks)
        listing = self.query_one("#problems", OptionList)
        listing.clear_options()
        for number, problem in enumerate(problems):
            where = f"{problem.location.line}:{problem.location.col}" if problem.location else "-"
            listing.add_option(Option(f"{where}  {problem.message}", id=str(number)))
        listing.display = bool(problems)
        changed = " · unsaved" if self.modified else ""
        count = f"{len(problems)} problem(s)" if problems else "no problems"
        if self.file is not None:
            self.status(f"{self.file.path} · {count}{changed}", "error" if problems else "info")

    @on(OptionList.OptionSelected, "#problems")
    def _jump(self, event: OptionList.OptionSelected) -> None:
        self.jump_to(int(event.option.id or 0))

    def jump_to(self, number: int) -> None:
        """Put the cursor at problem `number`'s line and column."""
        if not 0 <= number < len(self.problems):
            return
        location = self.problems[number].location
        if location is not None:
            self.editor.cursor_location = (max(location.line - 1, 0), max(location.col - 1, 0))
            self.editor.scroll_cursor_visible(center=True)
        self.editor.focus()

    def action_next_problem(self) -> None:
        if not self.problems:
            return
        row = self.editor.cursor_location[0] + 1
        lines = [p.location.line if p.location else 1 for p in self.problems]
        after = [i for i, line in enumerate(lines) if line > row]
        self.jump_to(after[0] if after else 0)

    # -- save and reload ------------------------------------------------------------------

    def action_save(self) -> None:
        if self.file is not None:
            self._save(self.file.path, self.editor.text)

    @work(thread=True, exclusive=True, group="ws-save")
    def _save(self, path: Path, text: str) -> None:
        try:
            report = self.springlet.backend.save_file(path, text)
        except SpringletError as exc:
            self.app.notify(str(exc), severity="error")
            return
        self.post_message(FileSaved(path, text, report))

    @on(FileSaved)
    def _saved(self, message: FileSaved) -> None:
        if self.file is not None and self.file.path == message.path:
            self.saved_text = message.text
        self.show_reload(message.report, f"saved {message.path}")
        self.list_files()

    def show_reload(self, report: ReloadReport, what: str) -> None:
        """Say what the reload did; a broken definition keeps its last good version."""
        changed = ", ".join(report.changed) or "nothing changed"
        if report.kept:
            kept = ", ".join(report.kept)
            self.app.notify(
                f"{what}: {kept} is broken and keeps running as last loaded; fix the "
                "problems shown to use the new version",
                severity="warning",
                timeout=8,
            )
        else:
            self.app.notify(f"{what} · reloaded: {changed}")
        self.springlet.reload_agents()
        self.validate_now()

    # -- the watcher ----------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="ws-watch")
    def start_watch(self) -> None:
        def changed(event: WorkspaceChanged) -> None:
            self.post_message(ChangedOutside(event))

        handle = self.springlet.backend.watch(changed)
        if self.is_attached:
            self._watch = handle
        else:
            handle.stop(timeout_s=1.0)

    @on(ChangedOutside)
    def _changed_outside(self, message: ChangedOutside) -> None:
        file = self.file
        root = Path(self.springlet.backend.root).resolve()
        paths = {p.resolve() for p in message.event.paths}
        self.list_files()
        if file is None or (root / file.path).resolve() not in paths:
            self.show_reload(message.event.report, "changed on disk")
            return
        if not self.modified:
            self.open_file(file)
            self.show_reload(message.event.report, f"{file.path} changed on disk")
            return

        if self._asking:
            return  # one question for a burst of changes

        def replace(yes: bool | None) -> None:
            self._asking = False
            if yes and self.file is not None:
                self.open_file(self.file)

        self._asking = True
        self.app.push_screen(
            ConfirmScreen(f"{file.path} changed on disk. Replace your unsaved buffer?"),
            replace,
        )

    # -- prompts --------------------------------------------------------------------------

    def action_try_prompt(self) -> None:
        file = self.file
        if file is None or file.kind != "prompts":
            self.app.notify("open a prompt file to try it", severity="warning")
            return
        try:
            inputs = self.springlet.backend.prompt_inputs(file.name)
        except (SpringletError, KeyError):
            self.app.notify(
                f"prompt '{file.name}' is not loaded (save it first?)", severity="warning"
            )
            return
        self.app.push_screen(PromptFormScreen(file.name, input_fields(inputs)))

    def action_back(self) -> None:
        self.springlet.go_to("Chat")
