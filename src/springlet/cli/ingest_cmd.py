"""`springlet ingest [COLLECTION] [--rebuild]`: build or update the knowledge indexes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from springlet.cli.common import handle_errors, workspace_option
from springlet.models.language_mix import collection_language_warning

if TYPE_CHECKING:
    from springlet.rag.ingest import IngestReport
    from springlet.rag.knowledge import WorkspaceKnowledge


def open_knowledge(workspace: Path, collection: str | None) -> WorkspaceKnowledge:
    """The workspace's knowledge, refusing a named collection whose file is broken."""
    from springlet.errors import WorkspaceError
    from springlet.rag.knowledge import WorkspaceKnowledge
    from springlet.workspace.loader import load_workspace_files

    loaded = load_workspace_files(workspace)
    if collection is not None:
        broken = loaded.unusable.get(f"collection:{collection}")
        if broken:
            raise WorkspaceError(f"collection '{collection}' cannot be used", broken)
    return WorkspaceKnowledge(loaded)


@click.command()
@click.argument("collection", required=False)
@click.option("--rebuild", is_flag=True, help="Drop the index and embed everything again.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report per collection.")
@workspace_option
@handle_errors
def ingest(collection: str | None, rebuild: bool, as_json: bool, workspace: Path) -> None:
    """Index the files of COLLECTION (default: every collection).

    Only new and changed files are embedded; files gone from disk leave the index.
    """
    knowledge = open_knowledge(workspace, collection)
    names = [collection] if collection else sorted(knowledge.loaded.collections)
    if not names:
        click.echo("no collections in this workspace (add knowledge/<name>.yaml)")
        return
    for name in names:
        report = _ingest_one(knowledge, name, rebuild, quiet=as_json)
        warning = collection_language_warning(knowledge, name)
        if warning:
            click.echo(f"warning: {warning}", err=True)
        if as_json:
            click.echo(json.dumps(report.__dict__))
        else:
            click.echo(_summary(report))


def _ingest_one(
    knowledge: WorkspaceKnowledge, name: str, rebuild: bool, *, quiet: bool
) -> IngestReport:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from springlet.rag.ingest import IngestProgress

    console = Console(stderr=True, quiet=quiet)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TextColumn("{task.fields[path]}"), console=console) as bar:
        task = bar.add_task(f"ingest {name}", total=None, path="")

        def advance(step: IngestProgress) -> None:
            bar.update(task, completed=step.done, total=step.total, path=step.path)

        return knowledge.ingest(name, rebuild=rebuild, progress=advance)


def _summary(report: IngestReport) -> str:
    return (
        f"{report.collection}: {report.files} files ({report.changed} changed, "
        f"{report.deleted} deleted), {report.chunks} chunks; embedded {report.embedded}, "
        f"reused {report.reused}, in {report.seconds:.1f} s"
    )
