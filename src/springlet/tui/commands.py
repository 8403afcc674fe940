"""The command palette: every agent, session and screen by name, and the app's actions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from springlet.tui.app import SpringletApp

Command = tuple[str, str, Callable[[], object]]
"""(text shown, help, what it does)."""


class SpringletCommands(Provider):
    """Commands from what the app already knows (no I/O while the user types)."""

    def commands(self) -> Iterator[Command]:
        app = cast("SpringletApp", self.app)
        for agent in app.agents:
            help_text = f"{agent.description} ({agent.model})"
            yield f"Chat with {agent.name}", help_text, partial(app.open_chat, agent.name)
        for session in app.session_infos:
            title = f"Session: {session.title}"
            help_text = f"{session.agent or '?'} · {session.turns} turns"
            yield title, help_text, partial(app.resume_session, session.id)
        for screen in app.screen_names():
            yield f"Screen: {screen}", f"go to the {screen} screen", partial(app.go_to, screen)
        yield "New chat", "a new session with the current agent", app.action_new_chat
        yield (
            "Use the embedded model for this session",
            "when Ollama is down or the agent's model is missing",
            app.action_use_embedded,
        )
        yield "Copy last answer", "to the clipboard", app.action_copy_answer
        yield "Copy last code block", "of the last answer", app.action_copy_code
        yield "Toggle light/dark theme", "", app.action_toggle_theme
        yield "Stop the answer", "and put the message back in the prompt", app.action_cancel
        yield "Search sessions", "by title and message text", app.action_search_sessions
        yield "Go to sessions", "rename with F2, delete with Delete", app.action_focus_sessions
        yield "Toggle sidebar", "more room for the chat", app.action_toggle_sidebar

    async def discover(self) -> Hits:
        for text, help_text, run in self.commands():
            yield DiscoveryHit(text, run, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, help_text, run in self.commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), run, text=text, help=help_text)
