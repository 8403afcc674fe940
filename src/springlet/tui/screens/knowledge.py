"""The Knowledge screen (placeholder until built)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Static


class KnowledgeScreen(Screen[None]):
    def compose(self) -> ComposeResult:
        yield Static("Knowledge")
        yield Footer()
