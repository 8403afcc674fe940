"""`springlet search COLLECTION "query"`: ranked chunks with scores and sources."""

from __future__ import annotations

import json
from pathlib import Path

import click

from springlet.cli.common import handle_errors, workspace_option


@click.command()
@click.argument("collection")
@click.argument("query")
@click.option("-k", "--top-k", default=5, show_default=True, type=click.IntRange(1, 100))
@click.option("--min-score", default=0.0, show_default=True, type=click.FloatRange(0.0, 1.0))
@click.option(
    "--mode",
    type=click.Choice(["hybrid", "vector", "lexical"]),
    default="hybrid",
    show_default=True,
    help="hybrid fuses vector and keyword scores (see springlet.rag.retriever).",
)
@click.option("--source", "sources", multiple=True, help="Only files matching this glob.")
@click.option("--tag", "tags", multiple=True, help="Only sources carrying this tag.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@workspace_option
@handle_errors
def search(
    collection: str,
    query: str,
    top_k: int,
    min_score: float,
    mode: str,
    sources: tuple[str, ...],
    tags: tuple[str, ...],
    as_json: bool,
    workspace: Path,
) -> None:
    """Search COLLECTION for QUERY and show the best chunks with their sources."""
    from springlet.cli.ingest_cmd import open_knowledge

    found = open_knowledge(workspace).retrieve(
        collection,
        query,
        top_k=top_k,
        min_score=min_score,
        sources=sources,
        tags=tags,
        mode=mode,  # type: ignore[arg-type]  # click.Choice guarantees a SearchMode
    )
    if as_json:
        click.echo(json.dumps([s.to_dict() for s in found], indent=2, ensure_ascii=False))
        return
    if not found:
        click.echo(f"no chunk of '{collection}' scores at least {min_score} for: {query}")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{collection}: {query}")
    for column in ("#", "score", "source", "snippet"):
        table.add_column(column)
    for rank, source in enumerate(found, start=1):
        table.add_row(str(rank), f"{source.score:.3f}", source.citation, source.snippet)
    Console().print(table)
