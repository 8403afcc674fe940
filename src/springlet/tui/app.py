"""`SpringletApp`: the terminal UI over one workspace — sidebar, chat, prompt, footer.

The app owns the business of the UI: it starts runs and store calls in workers and
hands their results down to widgets. Widgets display and post messages up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input, Static
from textual.worker import Worker, WorkerState

from springlet import SpringletError
from springlet.tui.backend import AgentInfo, Backend, SessionInfo
from springlet.tui.clipboard import copy_locally, local_clipboard_command
from springlet.tui.commands import SpringletCommands
from springlet.tui.conversation import Conversation
from springlet.tui.messages import ApprovalNeeded, RunBegan, RunEnded, TranscriptLoaded
from springlet.tui.screens.dialogs import ApprovalScreen, ConfirmScreen, RenameScreen, SourceScreen
from springlet.tui.screens.traces import TracesScreen
from springlet.tui.widgets.chat import Answer, ChatLog
from springlet.tui.widgets.sidebar import SessionList, Sidebar
from springlet.tui.widgets.sources import SourceLink

SCREENS = ("Chat", "Traces", "Workspace", "Knowledge", "Models")
"""Screens the palette and the footer go to; Chat is the app's own first screen."""


def make_screen(name: str) -> Screen[None]:
    """A new screen of part 2 by its palette name."""
    if name == "Traces":
        return TracesScreen()
    from springlet.tui.screens.knowledge import KnowledgeScreen
    from springlet.tui.screens.models import ModelsScreen
    from springlet.tui.screens.workspace_editor import WorkspaceScreen

    screens: dict[str, type[Screen[None]]] = {
        "Workspace": WorkspaceScreen,
        "Knowledge": KnowledgeScreen,
        "Models": ModelsScreen,
    }
    return screens[name]()


_FENCE = re.compile(r"```[^\n]*\n(.*?)```", re.DOTALL)


class PromptInput(Input):
    """The prompt. Enter sends (binding id `send`, remappable like every binding)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "submit", "Send", id="send", show=True),
    ]


@dataclass
class AgentsLoaded(Message):
    agents: list[AgentInfo]


@dataclass
class SessionsLoaded(Message):
    sessions: list[SessionInfo]


class SpringletApp(App[None]):
    """The springlet terminal UI. `agent` opens a chat with that agent first."""

    CSS_PATH = "app.tcss"
    TITLE = "springlet"
    COMMANDS: ClassVar[set[type[SpringletCommands]]] = {SpringletCommands}  # type: ignore[assignment]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True),
        Binding("ctrl+p", "command_palette", "Commands", id="command_palette", priority=True),
        Binding("escape", "cancel", "Stop answer", id="cancel"),
        Binding("ctrl+n", "new_chat", "New chat", id="new_chat"),
        Binding("f4", "use_embedded", "Embedded", id="use_embedded", show=False),
        Binding("ctrl+l", "focus_prompt", "Prompt", id="focus_prompt", show=False),
        Binding("ctrl+o", "focus_sessions", "Sessions", id="focus_sessions", show=False),
        Binding("ctrl+f", "search_sessions", "Search", id="search_sessions", show=False),
        Binding("ctrl+y", "copy_answer", "Copy answer", id="copy_answer"),
        Binding("ctrl+t", "toggle_theme", "Theme", id="toggle_theme", show=False),
        Binding("ctrl+g", "toggle_sidebar", "Sidebar", id="toggle_sidebar", show=False),
        Binding("f5", "go_to('Chat')", "Chat", id="screen_chat"),
        Binding("f6", "go_to('Traces')", "Traces", id="screen_traces"),
        Binding("f7", "go_to('Workspace')", "Files", id="screen_workspace"),
        Binding("f8", "go_to('Knowledge')", "Knowledge", id="screen_knowledge"),
        Binding("f9", "go_to('Models')", "Models", id="screen_models"),
    ]

    def __init__(
        self, backend: Backend, *, agent: str | None = None, local_clipboard: bool = True
    ) -> None:
        super().__init__()
        self.backend = backend
        self.agents: list[AgentInfo] = []
        self.session_infos: list[SessionInfo] = []
        self.conversation: Conversation | None = None
        self.session_model = "embedded:smollm2"
        """The model `use_embedded` switches a session to."""
        self._first_agent = agent
        self._clipboard_command = local_clipboard_command() if local_clipboard else None
        self._run: Worker[None] | None = None
        self._trace_from: Answer | None = None

    def compose(self) -> ComposeResult:
        yield Static("springlet", id="model-bar", markup=False)
        with Horizontal(id="body"):
            yield Sidebar(id="sidebar")
            with Vertical(id="main"):
                yield ChatLog(id="chat")
                yield PromptInput(placeholder="Message (Enter sends, Esc stops)", id="prompt")
        yield Footer()

    @property
    def home(self) -> Screen[object]:
        """The chat's screen (the app's first; the other screens go over it)."""
        return self.screen_stack[0] if self.screen_stack else self.screen

    @property
    def chat(self) -> ChatLog:
        return self.home.query_one(ChatLog)

    @property
    def prompt(self) -> PromptInput:
        return self.home.query_one(PromptInput)

    def on_mount(self) -> None:
        self.set_keymap(self.backend.keymap())
        self.prompt.focus()
        self._load_agents()
        self.refresh_sessions()

    # -- agents and chats ---------------------------------------------------------------

    @work(thread=True, group="agents")
    def _load_agents(self) -> None:
        agents: list[AgentInfo] = []
        for name in self.backend.agent_names:
            try:
                agents.append(self.backend.describe_agent(name))
            except SpringletError:
                continue
        self.post_message(AgentsLoaded(agents))

    def reload_agents(self) -> None:
        """The workspace was reloaded: describe its agents again (the chat stays)."""
        self._load_agents()

    def _shown(self) -> bool:
        """False once the app is closing: a worker's late answer then has nowhere to go."""
        if not self.screen_stack:
            return False
        home = self.home
        return bool(home.query(SessionList)) and bool(home.query(ChatLog))

    @on(AgentsLoaded)
    async def _agents_loaded(self, message: AgentsLoaded) -> None:
        if not self._shown():
            return
        self.agents = message.agents
        names = [a.name for a in self.agents]
        first = self._first_agent if self._first_agent in names else next(iter(names), None)
        self.home.query_one(Sidebar).show_agents(self.agents, first)
        if self.conversation is not None:  # a reload: the chat goes on
            return
        for problem in self.backend.problems[:5]:
            await self.chat.add_note(str(problem), "error")
        if first is not None:
            await self.open_chat(first)
        else:
            await self.chat.add_note(f"no agents in {self.backend.root}", "error")

    def agent_info(self, name: str) -> AgentInfo | None:
        return next((a for a in self.agents if a.name == name), None)

    async def open_chat(self, agent: str, session_id: str | None = None) -> None:
        """A new chat with `agent` (or a stored session of it): the log starts empty."""
        self._cancel_run()
        self.conversation = Conversation(self.backend, agent, session_id)
        info = self.agent_info(agent)
        if info is not None:
            self._show_model(agent, info.model, info.model_reason)
        if session_id is None:
            await self.chat.remove_children()
            about = f" — {info.description}" if info else ""
            await self.chat.add_note(f"new chat with {agent}{about}")
            self.chat.anchor()
        self.prompt.focus()

    def _show_model(self, agent: str, model: str, reason: str) -> None:
        why = reason if reason.startswith(model) else f"{model} — {reason}"
        self.home.query_one("#model-bar", Static).update(f"{agent} · {why}")
        self.sub_title = f"{agent} on {model}"

    @on(Sidebar.AgentChosen)
    async def _agent_chosen(self, message: Sidebar.AgentChosen) -> None:
        await self.open_chat(message.name)

    def screen_names(self) -> tuple[str, ...]:
        return SCREENS

    def go_to(self, screen: str) -> None:
        """Show `screen` (one of SCREENS); each keeps its state while another is shown."""
        if screen == "Chat":
            while len(self.screen_stack) > 1:
                self.pop_screen()
            self.call_after_refresh(self._refocus_chat)
            return
        if screen not in SCREENS:
            return
        if not self.is_screen_installed(screen):
            self.install_screen(make_screen(screen), name=screen)
        if self.screen is self.get_screen(screen):
            return
        if len(self.screen_stack) > 1:
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    CHAT_ACTIONS: ClassVar[frozenset[str]] = frozenset(
        {"cancel", "new_chat", "copy_answer", "focus_prompt", "focus_sessions",
         "search_sessions", "toggle_sidebar"}
    )  # fmt: skip

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The chat's keys work (and show in the footer) only on the chat's screen."""
        if action in self.CHAT_ACTIONS and self.screen_stack and self.screen is not self.home:
            return self.screen.is_modal or False
        return True

    def action_go_to(self, screen: str) -> None:
        self.go_to(screen)

    def _refocus_chat(self) -> None:
        answer, self._trace_from = self._trace_from, None
        if answer is not None and answer.is_attached:
            answer.focus()
        else:
            self.prompt.focus()

    @on(Answer.TraceRequested)
    def _open_trace(self, message: Answer.TraceRequested) -> None:
        """From a chat answer to its run's trace; Esc there comes back to the answer."""
        self.go_to("Traces")
        self._trace_from = message.answer
        self.traces_screen.show_run(message.run_id)

    @property
    def traces_screen(self) -> TracesScreen:
        if not self.is_screen_installed("Traces"):
            self.install_screen(TracesScreen(), name="Traces")
        return self.get_screen("Traces", TracesScreen)

    # -- a run ----------------------------------------------------------------------------

    @on(Input.Submitted, "#prompt")
    async def _send(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            return
        if self.conversation is None:
            self.notify("pick an agent first (sidebar or ctrl+p)", severity="warning")
            return
        if self.running:
            self.notify("an answer is still running: Esc stops it", severity="warning")
            return
        self.prompt.value = ""
        await self.chat.add_user(text)
        self._run = self.run_worker(
            self.conversation.send(text, self.chat.post_message), group="run", exclusive=True
        )

    @property
    def running(self) -> bool:
        return self._run is not None and self._run.state in (
            WorkerState.PENDING,
            WorkerState.RUNNING,
        )

    @on(RunBegan)
    def _run_began(self, message: RunBegan) -> None:
        self._show_model(message.agent, message.model, message.model_reason)

    @on(RunEnded)
    def _run_ended(self) -> None:
        self.refresh_sessions()

    @on(ApprovalNeeded)
    def _approval(self, message: ApprovalNeeded) -> None:
        screen = ApprovalScreen(message.name, message.arguments)
        self.push_screen(screen, lambda choice: message.answer(choice or "deny"))

    def _cancel_run(self) -> bool:
        if not self.running or self._run is None:
            return False
        self._run.cancel()
        return True

    async def action_cancel(self) -> None:
        """Esc: stop the running answer and put its message back in the prompt."""
        if not self._cancel_run() or self.conversation is None:
            return
        await self.chat.stop_answers()
        await self.chat.add_note("stopped: the message is back in the prompt", "warning")
        self.prompt.value = self.conversation.last_message
        self.prompt.cursor_position = len(self.prompt.value)
        self.prompt.focus()

    async def action_use_embedded(self) -> None:
        """Answer the rest of this session on the embedded model (Ollama is down, or the
        agent's model is missing): the agent's file is unchanged."""
        if self.conversation is None:
            return
        self.conversation.model = self.session_model
        agent = self.conversation.agent
        self._show_model(agent, self.session_model, "chosen for this session")
        await self.chat.add_note(f"{agent} answers on {self.session_model} in this session")

    async def action_new_chat(self) -> None:
        if self.conversation is not None:
            await self.open_chat(self.conversation.agent)

    @on(SourceLink.Opened)
    def _open_source(self, message: SourceLink.Opened) -> None:
        self.push_screen(SourceScreen(message.source))

    # -- sessions -------------------------------------------------------------------------

    def refresh_sessions(self) -> None:
        if self._shown():
            self._load_sessions(self.home.query_one("#session-search", Input).value)

    @work(thread=True, exclusive=True, group="sessions")
    def _load_sessions(self, search: str) -> None:
        sessions = self.backend.sessions
        found = sessions.search(search) if search.strip() else sessions.list()
        self.post_message(SessionsLoaded(list(found)))

    @on(SessionsLoaded)
    def _sessions_loaded(self, message: SessionsLoaded) -> None:
        if not self._shown():
            return
        self.session_infos = message.sessions
        self.home.query_one(Sidebar).show_sessions(message.sessions)

    @on(Sidebar.SearchChanged)
    def _search_changed(self) -> None:
        self.refresh_sessions()

    @on(Sidebar.SessionChosen)
    def _session_chosen(self, message: Sidebar.SessionChosen) -> None:
        self.resume_session(message.session_id)

    @work(thread=True, exclusive=True, group="transcript")
    def resume_session(self, session_id: str) -> None:
        """Open a stored session with its tool cards and sources."""
        try:
            transcript = self.backend.sessions.transcript(session_id)
        except SpringletError as exc:
            self.notify(str(exc), severity="error")
            return
        title = next((s.title for s in self.session_infos if s.id == session_id), session_id)
        self.post_message(TranscriptLoaded(transcript, title))

    @on(TranscriptLoaded)
    async def _transcript_loaded(self, message: TranscriptLoaded) -> None:
        if not self._shown():
            return
        transcript = message.transcript
        agent = transcript.agent or (self.conversation.agent if self.conversation else None)
        if agent is None:
            return
        await self.open_chat(agent, transcript.session_id)
        await self.chat.show_transcript(transcript)

    @on(SessionList.RenameRequested)
    def _rename(self, message: SessionList.RenameRequested) -> None:
        title = next((s.title for s in self.session_infos if s.id == message.session_id), "")

        def rename(new_title: str | None) -> None:
            if new_title:
                self._store_call("rename", message.session_id, new_title)

        self.push_screen(RenameScreen(title), rename)

    @on(SessionList.DeleteRequested)
    def _delete(self, message: SessionList.DeleteRequested) -> None:
        def delete(yes: bool | None) -> None:
            if yes:
                self._store_call("delete", message.session_id)

        self.push_screen(ConfirmScreen("Delete this session for good?"), delete)

    @work(thread=True, group="sessions-edit")
    def _store_call(self, verb: str, session_id: str, *args: str) -> None:
        try:
            getattr(self.backend.sessions, verb)(session_id, *args)
        except SpringletError as exc:
            self.notify(str(exc), severity="error")
        self.call_from_thread(self.refresh_sessions)

    # -- small actions --------------------------------------------------------------------

    def action_focus_prompt(self) -> None:
        self.prompt.focus()

    def action_focus_sessions(self) -> None:
        self.home.query_one(SessionList).focus()

    def action_search_sessions(self) -> None:
        self.home.query_one("#session-search", Input).focus()

    def action_toggle_sidebar(self) -> None:
        sidebar = self.home.query_one(Sidebar)
        sidebar.display = not sidebar.display

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"

    def action_copy_answer(self) -> None:
        answer = self.chat.last_answer
        if answer is None or not answer.text:
            self.notify("no answer to copy yet", severity="warning")
            return
        self.copy_to_clipboard(answer.text)
        self.notify("copied the last answer")

    def action_copy_code(self) -> None:
        answer = self.chat.last_answer
        blocks = _FENCE.findall(answer.text) if answer is not None else []
        if not blocks:
            self.notify("the last answer has no code block", severity="warning")
            return
        self.copy_to_clipboard(blocks[-1])
        self.notify("copied the last code block")

    def copy_to_clipboard(self, text: str) -> None:
        """OSC 52 (works over SSH), plus the local clipboard tool when there is one."""
        super().copy_to_clipboard(text)
        command = self._clipboard_command
        if command is not None:
            self.run_worker(lambda: copy_locally(text, command), thread=True, group="clipboard")
