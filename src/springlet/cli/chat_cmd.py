"""`springlet chat AGENT`: a terminal conversation with an agent.

Each line you type is one run in the same session, so an agent with the `memory`
advisor remembers the conversation (also across `chat` invocations with `--session`).
Line editing and the history of what you typed (arrow keys) come from `readline`, kept
in the workspace's data directory. `/new` starts a fresh session, `/exit` or Ctrl-D ends.
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import click

from springlet.cli.common import EXIT_OK, handle_errors, workspace_option
from springlet.cli.run_cmd import RunView, agent_or_exit, open_workspace

HISTORY_FILE = "chat_history"
_EXIT = {"/exit", "/quit", "/q"}


@click.command()
@workspace_option
@click.argument("agent_name", metavar="AGENT")
@click.option("--session", "session_id", help="Continue this session (default: a new one).")
@click.option("--yes", "-y", "auto_approve", is_flag=True, help="Approve every tool call.")
@handle_errors
def chat(workspace: Path, agent_name: str, session_id: str | None, auto_approve: bool) -> None:
    """Talk with AGENT; each message continues the same session."""
    ws = open_workspace(workspace)
    with ws:
        agent = agent_or_exit(ws, agent_name)
        session = session_id or uuid.uuid4().hex[:12]
        _note(f"{agent.name} on {agent.model} - session {session} - /new, /exit")
        if not getattr(agent, "has_memory", True):
            _note("this agent has no memory advisor: each message is answered on its own")
        _enable_line_history(ws.loaded.data_dir / HISTORY_FILE)
        view = RunView(auto_approve=auto_approve)
        while (line := _read_line()) is not None:
            if line in _EXIT:
                break
            if line == "/new":
                session = uuid.uuid4().hex[:12]
                _note(f"new session {session}")
                continue
            if line:
                view.follow(agent, line, session)
    sys.exit(EXIT_OK)


def _read_line() -> str | None:
    try:
        return input("you> ").strip()
    except EOFError:
        return None


def _enable_line_history(path: Path) -> None:
    """Arrow-key history of typed lines, persisted; skipped where readline is missing."""
    if not sys.stdin.isatty():
        return
    try:
        import atexit
        import readline
    except ImportError:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        readline.read_history_file(str(path))
    readline.set_history_length(1000)
    atexit.register(readline.write_history_file, str(path))


def _note(text: str) -> None:
    click.echo(click.style(text, dim=True), err=True)
