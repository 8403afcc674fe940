"""Retrieved sources under an answer (file, heading, score), each opening in a viewer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static


def source_label(source: dict[str, Any]) -> str:
    """`path > heading (p. 3) · 0.82`: how a source is named in the chat."""
    parts = [str(source.get("path", "?"))]
    if source.get("heading"):
        parts.append(str(source["heading"]))
    label = " > ".join(parts)
    if source.get("page") is not None:
        label += f" (p. {source['page']})"
    score = source.get("score")
    return f"{label} · {score:.2f}" if isinstance(score, int | float) else label


class SourceLink(Static):
    """One source; Enter or a click opens it in the viewer."""

    can_focus = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open source", id="open_source", show=False)
    ]

    @dataclass
    class Opened(Message):
        source: dict[str, Any]

    def __init__(self, source: dict[str, Any]) -> None:
        super().__init__(source_label(source), classes="source-link", markup=False)
        self.source = source

    def action_open(self) -> None:
        self.post_message(self.Opened(self.source))

    def on_click(self) -> None:
        self.action_open()


class SourceList(Vertical):
    """The sources of one answer."""

    def __init__(self, sources: tuple[dict[str, Any], ...]) -> None:
        super().__init__(classes="sources")
        self.sources = sources

    def compose(self) -> ComposeResult:
        yield Static("sources", classes="sources-title")
        for source in self.sources:
            yield SourceLink(source)
