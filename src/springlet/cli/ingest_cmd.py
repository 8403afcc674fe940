"""`springlet ingest [COLLECTION] [--rebuild]`: build or update the knowledge indexes."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from springlet.cli.common import EXIT_FAILED, handle_errors, workspace_option

if TYPE_CHECKING:
    from springlet.workspace import IngestReport, Knowledge


def open_knowledge(workspace: Path) -> Knowledge:
    """`ws.knowledge` of the workspace at `workspace`."""
    from springlet.workspace.workspace import load_workspace

    ws = load_workspace(workspace)
    # closed with the command: the MCP servers an ingest started stop with it
    click.get_current_context().call_on_close(ws.close)
    return ws.knowledge


@click.command()
@click.argument("collection", required=False)
@click.option("--rebuild", is_flag=True, help="Drop the index and embed everything again.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report per collection.")
@workspace_option
@handle_errors
def ingest(collection: str | None, rebuild: bool, as_json: bool, workspace: Path) -> None:
    """Index the files of COLLECTION (default: every collection).

    Only new and changed files are embedded; files gone from disk leave the index. A file
    that cannot be read is skipped with a warning, the others are indexed, and the exit
    code is 1.
    """
    knowledge = open_knowledge(workspace)
    names = [collection] if collection else knowledge.names
    if not names:
        click.echo("no collections in this workspace (add knowledge/<name>.yaml)")
        return
    skipped = 0
    if rebuild:
        _set_damaged_store_aside(knowledge, every=collection is None)
    for name in names:
        report = _ingest_one(knowledge, name, rebuild, quiet=as_json)
        skipped += len(report.skipped)
        warning = knowledge.language_warning(name)
        if warning:
            click.echo(f"warning: {warning}", err=True)
        if as_json:
            click.echo(json.dumps(dataclasses.asdict(report)))
            continue
        for note in report.notes:
            click.echo(f"warning: {note}", err=True)
        for file in report.skipped:
            click.echo(f"warning: skipped {file.path}: {file.reason}", err=True)
        click.echo(_summary(report))
    if skipped:
        click.echo(
            f"error: {skipped} file{'s' if skipped != 1 else ''} could not be read and "
            "{} not indexed; fix or remove {}, then run `springlet ingest` again".format(
                *(("were", "them") if skipped != 1 else ("was", "it"))
            ),
            err=True,
        )
        sys.exit(EXIT_FAILED)


def _set_damaged_store_aside(knowledge: Knowledge, *, every: bool) -> None:
    """With --rebuild, a damaged knowledge.sqlite is moved aside and started afresh: it is
    derived from the knowledge files, so this loses nothing."""
    moved = knowledge.set_damaged_store_aside()
    if moved is None:
        return
    click.echo(f"warning: {moved.reason}; moved it aside to {moved.moved_to.name}", err=True)
    if not every:
        click.echo(
            "warning: the other collections of that store need `springlet ingest` again",
            err=True,
        )


def _ingest_one(knowledge: Knowledge, name: str, rebuild: bool, *, quiet: bool) -> IngestReport:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from springlet.workspace import IngestProgress

    console = Console(stderr=True, quiet=quiet)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TextColumn("{task.fields[path]}"), console=console) as bar:
        task = bar.add_task(f"ingest {name}", total=None, path="")

        def advance(step: IngestProgress) -> None:
            bar.update(task, completed=step.done, total=step.total, path=step.path)

        return knowledge.ingest(name, rebuild=rebuild, on_progress=advance)


def _summary(report: IngestReport) -> str:
    return (
        f"{report.collection}: {report.files} files ({report.changed} changed, "
        f"{report.deleted} deleted), {report.chunks} chunks; embedded {report.embedded}, "
        f"reused {report.reused}, in {report.seconds:.1f} s"
        + (f"; {len(report.skipped)} skipped" if report.skipped else "")
    )
