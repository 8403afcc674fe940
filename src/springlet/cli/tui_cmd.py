"""`springlet tui`: the terminal UI over a workspace, or served to a browser with --serve."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click

from springlet.cli.common import EXIT_OK, handle_errors, workspace_option


@click.command()
@workspace_option
@click.option("--agent", "agent_name", help="Open a chat with this agent first.")
@click.option("--serve", is_flag=True, help="Serve the app to a browser (textual-serve).")
@click.option("--host", default="localhost", show_default=True, help="Address to serve on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to serve on.")
@handle_errors
def tui(workspace: Path, agent_name: str | None, serve: bool, host: str, port: int) -> None:
    """Open the terminal UI: chat with the workspace's agents, see tools and sources."""
    from springlet.cli.run_cmd import open_workspace

    if serve:
        _serve(workspace, agent_name, host, port)
        sys.exit(EXIT_OK)
    from springlet.tui import run_app

    with open_workspace(workspace) as ws:
        run_app(ws, agent=agent_name)
    sys.exit(EXIT_OK)


def _serve(workspace: Path, agent_name: str | None, host: str, port: int) -> None:
    from textual_serve.server import Server

    if not workspace.is_dir():
        raise click.UsageError(f"no workspace directory {workspace}")
    command = [sys.executable, "-m", "springlet", "tui", "-w", str(workspace.resolve())]
    if agent_name:
        command += ["--agent", agent_name]
    click.echo(f"serving the springlet TUI on http://{host}:{port}", err=True)
    Server(shlex.join(command), host=host, port=port, title="springlet").serve()
