"""`springlet init DIR`: scaffold a workspace."""

from __future__ import annotations

from pathlib import Path

import click

from springlet.cli.common import handle_errors


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=Path("."))
@click.option("--force", is_flag=True, help="Overwrite existing workspace files.")
@handle_errors
def init(directory: Path, force: bool) -> None:
    """Create a workspace in DIRECTORY (default: here) with an agent, a prompt, a tool,
    a knowledge collection and the JSON Schemas editors use to check the YAML."""
    from springlet.workspace.scaffold import scaffold_workspace

    written = scaffold_workspace(directory, force=force)
    click.echo(f"created a workspace in {directory} ({len(written)} files)")
    click.echo(f"next: springlet validate -w {directory}")
    click.echo(
        f'      springlet run -w {directory} assistant "How many words are in: hello world?"'
    )
