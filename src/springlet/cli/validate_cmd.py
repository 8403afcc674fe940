"""`springlet validate`: check every file of a workspace, report every problem at once."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from springlet.cli.common import EXIT_FAILED, EXIT_OK, handle_errors, workspace_option


@click.command()
@workspace_option
@click.option("--json", "as_json", is_flag=True, help="Print problems as JSON (for machines).")
@handle_errors
def validate(workspace: Path, as_json: bool) -> None:
    """Check every file of the workspace; on problems, list `file:line:col: message`, exit 1."""
    from springlet.workspace.loader import load_workspace_files

    loaded = load_workspace_files(workspace)
    errors = loaded.errors
    counts = (
        f"{len(loaded.agents)} agents, {len(loaded.prompts)} prompts, "
        f"{len(loaded.tools)} tools, {len(loaded.collections)} collections"
    )
    if as_json:
        payload = {
            "valid": not errors,
            "workspace": str(workspace),
            "agents": sorted(loaded.agents),
            "usable_agents": loaded.usable_agents,
            "prompts": sorted(loaded.prompts),
            "tools": sorted(loaded.tools),
            "collections": sorted(loaded.collections),
            "problems": [p.to_json() for p in loaded.problems],
        }
        click.echo(json.dumps(payload, indent=2))
    else:
        for problem in loaded.problems:
            click.echo(str(problem))
        if errors:
            click.echo(
                f"{len(errors)} problem{'s' if len(errors) != 1 else ''} in {workspace} "
                f"({counts}; usable agents: {', '.join(loaded.usable_agents) or 'none'})",
                err=True,
            )
        else:
            click.echo(f"{workspace}: valid ({counts})")
    sys.exit(EXIT_FAILED if errors else EXIT_OK)
