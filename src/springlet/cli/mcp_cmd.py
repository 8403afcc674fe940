"""`springlet mcp list [NAME]` and `springlet mcp serve [--http HOST:PORT]`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from springlet.cli.common import EXIT_USAGE, handle_errors, workspace_option


@click.group()
def mcp() -> None:
    """Use MCP servers (mcp_servers: in springlet.yaml), or serve this workspace as one."""
    import importlib.util

    if importlib.util.find_spec("mcp") is None:
        click.echo(
            "error: `springlet mcp` needs the official MCP SDK, which is not installed\n"
            "  hint: install it with: pip install 'springlet[mcp]'",
            err=True,
        )
        raise SystemExit(1)


@mcp.command("list")
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@workspace_option
@handle_errors
def list_servers(name: str | None, as_json: bool, workspace: Path) -> None:
    """The declared MCP servers; with NAME, that server's tools, prompts and resources
    (it is started for this)."""
    import springlet

    with springlet.load_workspace(workspace, tracing=False) as ws:
        specs = ws.settings.mcp_servers
        if name is None:
            rows = [
                {"name": n, "transport": s.transport, "target": s.describe()}
                for n, s in sorted(specs.items())
            ]
            if as_json:
                click.echo(json.dumps(rows, indent=2))
            elif not rows:
                click.echo("no MCP servers: declare them under mcp_servers: in springlet.yaml")
            for row in [] if as_json else rows:
                click.echo(f"{row['name']}  ({row['transport']})  {row['target']}")
            return
        listing = _listing(ws, name)
    if as_json:
        click.echo(json.dumps(listing, indent=2, ensure_ascii=False))
        return
    for kind in ("tools", "prompts", "resources"):
        entries = listing[kind]
        click.echo(f"{kind} ({len(entries)}):" if entries else f"{kind}: none")
        for entry in entries:
            click.echo(f"  {entry['name']}  {entry.get('description') or ''}".rstrip())


def _listing(ws: Any, name: str) -> dict[str, list[dict[str, Any]]]:
    from springlet.workspace.mcp_view import describe_mcp_server

    return describe_mcp_server(ws.mcp_servers, name).to_dict()


@mcp.command()
@click.option(
    "--http",
    "http",
    metavar="[HOST:]PORT",
    help="Serve Streamable HTTP at http://HOST:PORT/mcp (HOST defaults to 127.0.0.1) "
    "instead of stdio.",
)
@click.option(
    "--expose-approval-tools",
    is_flag=True,
    help="Also expose tools that require approval (an MCP client calls them unasked).",
)
@workspace_option
@handle_errors
def serve(http: str | None, expose_approval_tools: bool, workspace: Path) -> None:
    """Serve the workspace as an MCP server: its Python tools, prompts (as MCP prompts),
    agents (as ask_<agent> tools) and knowledge search."""
    import springlet
    from springlet.mcp import WorkspaceMcpServer, serve_http, serve_stdio

    address = _address(http) if http else None
    with springlet.load_workspace(workspace) as ws:
        server = WorkspaceMcpServer(ws, expose_approval_tools=expose_approval_tools)
        if address is None:
            serve_stdio(server)
        else:
            serve_http(server, *address)


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not port.isdigit() or not 0 < int(port) < 65536:
        click.echo(f"error: --http takes [HOST:]PORT, like 127.0.0.1:8765; got '{text}'", err=True)
        raise SystemExit(EXIT_USAGE)
    return (host.strip("[]") or "127.0.0.1"), int(port)
