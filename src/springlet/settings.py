"""Workspace settings: `springlet.yaml` as validated data."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from springlet.models.ollama_config import DEFAULT_OLLAMA_HOST as DEFAULT_OLLAMA_HOST
from springlet.models.ollama_config import host_url_problem
from springlet.models.reference import (
    EmbeddingReference,
    ModelRef,
    ModelReference,
    parse_model_ref,
)
from springlet.rag.spec import CollectionSpec
from springlet.spec_base import Spec
from springlet.tools.mcp_spec import McpServerName, McpServerSpec


class OllamaSettings(Spec):
    """How to reach the Ollama server."""

    host: str | None = None
    """Defaults to OLLAMA_HOST, then http://127.0.0.1:11434 (OLLAMA_HOST overrides this)."""
    keep_alive: str | int = "5m"
    auto_pull: bool = False
    """Pull a missing model (with progress) instead of failing."""
    timeout_s: float = Field(default=300.0, gt=0)
    """The longest wait for the server, each time springlet waits: to connect, for the
    first streamed line of an answer (a model loading counts) and between two streamed
    lines. Not a limit on the whole answer: a long answer at a healthy pace is never cut,
    a server that stalls or trickles is."""
    hosts: dict[str, str] = Field(default_factory=dict)
    """More Ollama servers by name, for `ollama@NAME:model` references (fallback chains)."""

    @field_validator("hosts")
    @classmethod
    def _hosts_are_server_addresses(cls, value: dict[str, str]) -> dict[str, str]:
        for name, url in value.items():
            problem = host_url_problem(url)
            if problem:
                raise ValueError(f"hosts.{name}: {problem}")
        return value

    @field_validator("host")
    @classmethod
    def _host_is_a_server_address(cls, value: str | None) -> str | None:
        problem = host_url_problem(value) if value is not None else None
        if problem:
            raise ValueError(problem)
        return value


class RedactionSettings(Spec):
    """What is removed from traces before they are stored or exported."""

    fields: list[str] = Field(
        default_factory=lambda: [
            "password",
            "api_key",
            "apikey",
            "token",
            "secret",
            "authorization",
        ]
    )
    """Argument / attribute names whose values are replaced: case-insensitive, matched as
    whole words of the key (`token` matches `access_token`, not `max_tokens`); a key naming
    an amount (`token_count`) is never redacted."""
    patterns: list[str] = Field(default_factory=list)
    """Extra regular expressions; matches are replaced wherever they appear."""


class TracingSettings(Spec):
    """Where and how long runs are recorded."""

    enabled: bool = True
    retention_days: int | None = Field(default=30, ge=1)
    retention_runs: int | None = Field(default=10_000, ge=1)
    redact: RedactionSettings = Field(default_factory=RedactionSettings)


class KnowledgeSettings(Spec):
    """How the workspace's knowledge collections are kept."""

    auto_ingest: Literal["missing", "always", "never"] = "missing"
    """When an agent first needs a collection (once per process): `missing` ingests it if
    it was never ingested; `always` also brings a stale index up to date (incremental:
    unchanged files cost nothing); `never` leaves it to `springlet ingest` (an agent on a
    collection never ingested then fails with the command to run). Announced when it
    ingests."""


KeyList = str | None


SCOPED_BINDING_IDS: dict[str, str] = {
    "chat.send": "send",
    "chat.cancel": "cancel",
    "chat.new": "new_chat",
    "chat.use_embedded": "use_embedded",
    "chat.focus_prompt": "focus_prompt",
    "chat.copy_answer": "copy_answer",
    "chat.copy_message": "copy_message",
    "chat.open_source": "open_source",
    "sessions.focus": "focus_sessions",
    "sessions.search": "search_sessions",
    "sessions.rename": "rename_session",
    "sessions.delete": "delete_session",
    "app.palette": "command_palette",
    "app.quit": "quit",
    "app.theme": "toggle_theme",
    "app.sidebar": "toggle_sidebar",
    "app.close_dialog": "close_dialog",
    "approval.allow_once": "allow_once",
    "approval.allow_session": "allow_session",
    "approval.deny": "deny",
    "tool_card.copy_full": "copy_full",
    "app.chat": "screen_chat",
    "app.traces": "screen_traces",
    "app.workspace": "screen_workspace",
    "app.knowledge": "screen_knowledge",
    "app.models": "screen_models",
    "app.back": "back_to_chat",
    "app.cancel_work": "cancel_work",
    "chat.open_trace": "open_trace",
    "traces.filter": "filter_runs",
    "traces.reload": "reload_runs",
    "workspace.save": "save_file",
    "workspace.try_prompt": "try_prompt",
    "workspace.next_problem": "next_problem",
    "knowledge.ingest": "ingest",
    "knowledge.search": "search_knowledge",
    "models.pull": "pull_model",
    "models.reload": "reload_models",
}
"""The `screen.action` spelling of each binding id (FORMAT v1.1 writes
`keymap: {chat.send: enter, app.palette: ctrl+p}`), next to the plain id."""


class TuiKeymap(Spec):
    """`tui.keymap`: binding id -> keys (Textual names, comma-separated: `ctrl+n,f5`).

    Only the ids below exist, each also spelled `screen.action` (`chat.send` for `send`,
    `app.palette` for `command_palette`: SCOPED_BINDING_IDS); a typo is reported at its
    line like any unknown key.
    """

    @model_validator(mode="before")
    @classmethod
    def _scoped_ids(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        return {SCOPED_BINDING_IDS.get(key, key): keys for key, keys in value.items()}

    send: KeyList = None
    """Send the prompt (default enter)."""
    cancel: KeyList = None
    """Stop the running answer and put the prompt back (default escape)."""
    new_chat: KeyList = None
    """Start a new session with the current agent (default ctrl+n)."""
    use_embedded: KeyList = None
    """Answer the rest of this session on the embedded model (default f4)."""
    focus_prompt: KeyList = None
    """Move the focus to the prompt (default ctrl+l)."""
    focus_sessions: KeyList = None
    """Move the focus to the session list (default ctrl+o)."""
    search_sessions: KeyList = None
    """Search the sessions (default ctrl+f)."""
    rename_session: KeyList = None
    """Rename the highlighted session (default f2)."""
    delete_session: KeyList = None
    """Delete the highlighted session (default delete)."""
    copy_answer: KeyList = None
    """Copy the last answer (default ctrl+y)."""
    toggle_theme: KeyList = None
    """Switch between the light and the dark theme (default ctrl+t)."""
    toggle_sidebar: KeyList = None
    """Show or hide the sidebar (default ctrl+g)."""
    command_palette: KeyList = None
    """Open the command palette: every agent, session, screen and action (default ctrl+p)."""
    quit: KeyList = None
    """Leave the app (default ctrl+q)."""
    allow_once: KeyList = None
    """Approval dialog: run the tool this once (default o)."""
    allow_session: KeyList = None
    """Approval dialog: run this tool without asking for the rest of the session (default s)."""
    deny: KeyList = None
    """Approval dialog: refuse; the model is told (default d)."""
    copy_full: KeyList = None
    """Tool card: copy its full arguments and result (default c)."""
    copy_message: KeyList = None
    """Answer: copy its text (default y)."""
    open_source: KeyList = None
    """Source under an answer: open it in the viewer (default enter)."""
    close_dialog: KeyList = None
    """Close a dialog; the approval dialog then denies (default escape)."""
    screen_chat: KeyList = None
    """Go to the chat (default f5)."""
    screen_traces: KeyList = None
    """Go to the Traces screen (default f6)."""
    screen_workspace: KeyList = None
    """Go to the Workspace screen: the files and the editor (default f7)."""
    screen_knowledge: KeyList = None
    """Go to the Knowledge screen (default f8)."""
    screen_models: KeyList = None
    """Go to the Models screen (default f9)."""
    open_trace: KeyList = None
    """Answer: show the trace of the run that wrote it (default t)."""
    filter_runs: KeyList = None
    """Traces: type a filter (`agent:NAME status:error since:10m text`; default /)."""
    back_to_chat: KeyList = None
    """Traces, Workspace, Knowledge, Models: back to the chat (default escape)."""
    reload_runs: KeyList = None
    """Traces: read the run table again (default r)."""
    save_file: KeyList = None
    """Workspace: save the file; the workspace reloads (default ctrl+s)."""
    try_prompt: KeyList = None
    """Workspace: render or run the open prompt from a form of its inputs (default ctrl+r)."""
    next_problem: KeyList = None
    """Workspace: move the cursor to the next problem (default ctrl+j)."""
    ingest: KeyList = None
    """Knowledge: ingest the highlighted collection (default i)."""
    cancel_work: KeyList = None
    """Knowledge, Models: cancel the running ingest or pull (default x)."""
    search_knowledge: KeyList = None
    """Knowledge: type a search (default /)."""
    pull_model: KeyList = None
    """Models: type the name of a model to pull (default p)."""
    reload_models: KeyList = None
    """Models: ask Ollama again (default r)."""

    @field_validator("*")
    @classmethod
    def _keys_terminals_deliver(cls, value: KeyList) -> KeyList:
        if value is None:
            return value
        keys = [key.strip() for key in value.split(",")]
        if not all(keys):
            raise ValueError(f"'{value}' has an empty key; write keys like 'ctrl+n' or 'f5'")
        swallowed = [key for key in keys if key.lower() in _SWALLOWED_KEYS]
        if swallowed:
            raise ValueError(
                f"'{swallowed[0]}' never reaches the app in most terminals (or tmux); "
                "pick another key, e.g. 'f5' or 'ctrl+n'"
            )
        return ",".join(keys)


_SWALLOWED_KEYS = {"ctrl+enter", "ctrl+return", "ctrl+shift+enter", "ctrl+b"}
"""Sent as plain enter by most terminals, or taken by tmux (its default prefix)."""


class TuiSettings(Spec):
    """`tui:`: the terminal UI's settings."""

    keymap: TuiKeymap = Field(default_factory=TuiKeymap)


class WorkspaceSettings(Spec):
    """Everything in `springlet.yaml`; every key is optional."""

    default_model: ModelReference = Field(default_factory=lambda: parse_model_ref("auto"))
    ollama: OllamaSettings = Field(default_factory=OllamaSettings)
    embeddings: EmbeddingReference = Field(
        default_factory=lambda: ModelRef(provider="embedded", name="all-minilm")
    )
    data_dir: str = ".springlet"
    """Traces, memory and indexes, relative to the workspace."""
    collections: list[CollectionSpec] = Field(default_factory=list)
    tracing: TracingSettings = Field(default_factory=TracingSettings)
    knowledge: KnowledgeSettings = Field(default_factory=KnowledgeSettings)
    mcp_servers: dict[McpServerName, McpServerSpec] = Field(default_factory=dict)
    """MCP servers the agents use by name (`tools: [{mcp: NAME}]`), started on first use."""

    tui: TuiSettings = Field(default_factory=TuiSettings)
