"""`ToolCard`: one tool call inline in the chat — name, status, duration; expands to JSON."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from rich.syntax import Syntax
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Collapsible, Static

from springlet.tui.messages import ToolStatus

SHOWN_CHARS = 1_500
"""Arguments and results longer than this are cut in the card (copy full gets all)."""

STATUS_MARK: dict[str, str] = {"running": "…", "ok": "✓", "failed": "✗", "rejected": "⊘"}


def pretty_json(value: Any) -> str:
    """`value` as indented JSON; a string that holds JSON is shown as that JSON."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return str(value)
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def cut(text: str, limit: int = SHOWN_CHARS) -> tuple[str, bool]:
    """`text` cut to `limit` characters at a line end where possible; True when cut."""
    if len(text) <= limit:
        return text, False
    head = text[:limit]
    newline = head.rfind("\n")
    return (head[:newline] if newline > limit // 2 else head), True


class ToolCard(Vertical):
    """A tool call: collapsed to one line, expanded to its arguments and result."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("c", "copy_full", "Copy full", id="copy_full")]

    def __init__(
        self,
        call_id: str,
        name: str,
        arguments: dict[str, Any],
        *,
        status: ToolStatus = "running",
        result: str | None = None,
        duration_ms: float | None = None,
    ) -> None:
        super().__init__(classes=f"tool-card -{status}")
        self.call_id = call_id
        self.tool_name = name
        self.arguments = arguments
        self.status: ToolStatus = status
        self.result = result
        self.duration_ms = duration_ms
        self._filled = False

    def compose(self) -> ComposeResult:
        yield Collapsible(title=self.title_text(), collapsed=True)

    def title_text(self) -> str:
        took = f" · {self.duration_ms:.0f} ms" if self.duration_ms is not None else ""
        return f"{STATUS_MARK[self.status]} {self.tool_name} · {self.status}{took}"

    def finish(self, status: ToolStatus, result: str, duration_ms: float | None) -> None:
        """The call ended (a rejection keeps its status over the failure that follows)."""
        if self.status != "rejected":
            self.status = status
        self.result = result
        self.duration_ms = duration_ms
        self.set_classes(f"tool-card -{self.status}")
        self.query_one(Collapsible).title = self.title_text()
        if self._filled:
            self._filled = False
            self.query_one(Collapsible).query_one(Collapsible.Contents).remove_children()
            self._fill()

    def full_text(self) -> str:
        """Everything about the call, uncut: what "copy full" copies."""
        result = pretty_json(self.result) if self.result is not None else "(no result yet)"
        return f"{self.tool_name}\narguments:\n{pretty_json(self.arguments)}\nresult:\n{result}"

    @on(Collapsible.Expanded)
    def _fill(self) -> None:
        # built on first expand: a long session has many cards nobody opens
        if self._filled:
            return
        self._filled = True
        contents = self.query_one(Collapsible).query_one(Collapsible.Contents)
        contents.mount_all(self._sections())

    def _sections(self) -> list[Static]:
        sections: list[Static] = []
        parts = [("arguments", self.arguments), ("result", self.result)]
        for label, value in parts:
            if value is None:
                continue
            text, was_cut = cut(pretty_json(value))
            sections.append(Static(label, classes="tool-card-label"))
            syntax = Syntax(
                text, "json", theme="ansi_dark", word_wrap=True, background_color="default"
            )
            sections.append(Static(syntax, classes="tool-card-json"))
            if was_cut:
                sections.append(
                    Static("… cut here: press c to copy it in full", classes="tool-card-cut")
                )
        return sections

    def action_copy_full(self) -> None:
        self.app.copy_to_clipboard(self.full_text())
        self.notify(f"copied the {self.tool_name} call")
