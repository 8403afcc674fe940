"""Modal dialogs: tool approval, the source viewer, rename and delete of a session."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from rich.syntax import Syntax
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from springlet.tui.messages import ApprovalChoice
from springlet.tui.widgets.sources import source_label
from springlet.tui.widgets.tool_card import cut


class ApprovalScreen(ModalScreen[ApprovalChoice]):
    """Ask before a side-effecting tool runs. Deny has the focus: Enter never allows."""

    AUTO_FOCUS = "#deny"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "choose('once')", "Allow once", id="allow_once"),
        Binding("s", "choose('session')", "Allow for session", id="allow_session"),
        Binding("d", "choose('deny')", "Deny", id="deny"),
        Binding("escape", "choose('deny')", "Deny", show=False, id="close_dialog"),
    ]

    def __init__(self, tool: str, arguments: dict[str, Any]) -> None:
        super().__init__(classes="dialog-screen")
        self.tool = tool
        self.arguments = arguments

    def compose(self) -> ComposeResult:
        args, _ = cut(json.dumps(self.arguments, indent=2, ensure_ascii=False, default=str), 800)
        with Vertical(classes="dialog", id="approval"):
            yield Label(f"Run the tool {self.tool}?", classes="dialog-title")
            yield Static(
                Syntax(args, "json", theme="ansi_dark", background_color="default", word_wrap=True),
                classes="dialog-body",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Allow once [o]", id="once", variant="primary")
                yield Button("Allow for session [s]", id="session")
                yield Button("Deny [d]", id="deny", variant="error")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.action_choose(str(event.button.id))

    def action_choose(self, choice: str) -> None:
        if choice in ("once", "session", "deny"):
            self.dismiss(choice)  # type: ignore[arg-type]


class SourceScreen(ModalScreen[None]):
    """A retrieved source: where it is from, its score, and the retrieved text."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close", id="close_dialog")
    ]

    def __init__(self, source: dict[str, Any]) -> None:
        super().__init__(classes="dialog-screen")
        self.source = source

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="source-viewer"):
            yield Label(source_label(self.source), classes="dialog-title", markup=False)
            collection = self.source.get("collection")
            if collection:
                yield Label(f"collection {collection}", classes="dialog-subtitle", markup=False)
            with VerticalScroll(classes="dialog-body"):
                text = self.source.get("text") or self.source.get("snippet") or "(no text)"
                yield Static(str(text), markup=False)
            yield Button("Close", id="close")

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss(None)


class RenameScreen(ModalScreen[str | None]):
    """A new title for a session (Enter saves, Escape keeps the old one)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Cancel", id="close_dialog")
    ]

    def __init__(self, title: str) -> None:
        super().__init__(classes="dialog-screen")
        self.old_title = title

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="rename"):
            yield Label("Rename the session", classes="dialog-title")
            yield Input(self.old_title, id="title")

    @on(Input.Submitted)
    def _save(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)


class ConfirmScreen(ModalScreen[bool]):
    """Yes or no, with no focused by default."""

    AUTO_FOCUS = "#no"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(False)", "Cancel", id="close_dialog")
    ]

    def __init__(self, question: str) -> None:
        super().__init__(classes="dialog-screen")
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="confirm"):
            yield Label(self.question, classes="dialog-title", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Yes", id="yes", variant="error")
                yield Button("No", id="no", variant="primary")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")
