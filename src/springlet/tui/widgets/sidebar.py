"""The sidebar: the workspace's agents, and its sessions with a search box."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from springlet.tui.backend import AgentInfo, SessionInfo


class SessionList(OptionList):
    """Sessions, newest first; F2 renames and Delete deletes the highlighted one."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f2", "rename", "Rename", id="rename_session"),
        Binding("delete", "delete", "Delete", id="delete_session"),
    ]

    @dataclass
    class RenameRequested(Message):
        session_id: str

    @dataclass
    class DeleteRequested(Message):
        session_id: str

    def highlighted_id(self) -> str | None:
        if self.highlighted is None:
            return None
        return self.get_option_at_index(self.highlighted).id

    def action_rename(self) -> None:
        if (session_id := self.highlighted_id()) is not None:
            self.post_message(self.RenameRequested(session_id))

    def action_delete(self) -> None:
        if (session_id := self.highlighted_id()) is not None:
            self.post_message(self.DeleteRequested(session_id))


class Sidebar(Vertical):
    """Agents and sessions. Choosing one posts `AgentChosen` or `SessionChosen`."""

    @dataclass
    class AgentChosen(Message):
        name: str

    @dataclass
    class SessionChosen(Message):
        session_id: str

    @dataclass
    class SearchChanged(Message):
        text: str

    def compose(self) -> ComposeResult:
        yield Label("Agents", classes="sidebar-title")
        yield OptionList(id="agents")
        yield Label("Sessions", classes="sidebar-title")
        yield Input(placeholder="search sessions", id="session-search")
        yield SessionList(id="sessions")

    def show_agents(self, agents: Sequence[AgentInfo], current: str | None) -> None:
        agent_list = self.query_one("#agents", OptionList)
        agent_list.clear_options()
        agent_list.add_options(Option(a.name, id=a.name) for a in agents)
        names = [a.name for a in agents]
        if current in names:
            agent_list.highlighted = names.index(current)

    def show_sessions(self, sessions: Sequence[SessionInfo]) -> None:
        session_list = self.query_one(SessionList)
        session_list.clear_options()
        if not sessions:
            session_list.add_option(Option("(no sessions yet)", disabled=True))
            return
        session_list.add_options(
            Option(
                Text.assemble(
                    s.title,
                    "\n",
                    (f"{s.agent or '?'} · {s.turns} turns", "dim"),
                    no_wrap=True,
                    overflow="ellipsis",
                ),
                id=s.id,
            )
            for s in sessions
        )

    @on(OptionList.OptionSelected, "#agents")
    def _agent(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.post_message(self.AgentChosen(event.option.id))

    @on(OptionList.OptionSelected, "#sessions")
    def _session(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.post_message(self.SessionChosen(event.option.id))

    @on(Input.Changed, "#session-search")
    def _search(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.SearchChanged(event.value))
