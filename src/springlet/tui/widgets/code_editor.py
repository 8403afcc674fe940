"""`CodeEditor`: a `TextArea` code editor whose gutter marks the lines with problems.

YAML and Python are highlighted when their grammar is installed (`textual[syntax]`);
anything else, or a missing grammar, is plain text rather than an error.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widgets import TextArea

MARK_STYLE = Style(color="red", bold=True)


class CodeEditor(TextArea):
    """A code editor; `mark_lines` puts a mark in the gutter of each 1-based line."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(show_line_numbers=True, tab_behavior="indent", soft_wrap=False, **kwargs)
        self.marked: dict[int, str] = {}
        """0-based line -> the problem shown for it."""

    def set_text(self, text: str, language: str | None) -> None:
        """Show `text`, highlighted as `language` when that grammar is there."""
        self.language = language if language in self.available_languages else None
        self.load_text(text)
        self.marked = {}

    def mark_lines(self, problems: Iterable[tuple[int, str]]) -> None:
        self.marked = {max(line - 1, 0): message for line, message in problems}
        self.refresh()

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        line = y + self.scroll_offset.y
        if line not in self.marked or not self.show_line_numbers or self.gutter_width < 3:
            return strip
        rest = strip.crop(1, strip.cell_length)
        return Strip.join([Strip([Segment("●", MARK_STYLE)], 1), rest])
