"""`springlet schema KIND`: the JSON Schema of a workspace file kind, for editors."""

from __future__ import annotations

import json
from pathlib import Path

import click

from springlet.cli.common import handle_errors
from springlet.workspace.schema import FILE_KINDS


@click.command()
@click.argument("kind", type=click.Choice(FILE_KINDS), required=False)
@click.option(
    "-o",
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write every kind's <kind>.schema.json into this directory instead.",
)
@handle_errors
def schema(kind: str | None, output_dir: Path | None) -> None:
    """Print the JSON Schema of KIND (settings, prompt, agent or collection)."""
    from springlet.workspace.schema import json_schema, write_schemas

    if output_dir is not None:
        for path in write_schemas(output_dir):
            click.echo(f"wrote {path}")
        return
    if kind is None:
        raise click.UsageError("name a KIND (settings, prompt, agent, collection) or pass -o DIR")
    click.echo(json.dumps(json_schema(kind), indent=2))
