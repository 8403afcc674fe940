"""`springlet test`: run the `tests:` cases of prompt and agent files, print a table.

What a case is and how its expectations are checked: `springlet.workspace.test_cases`.
Exit 0 when every case passes, 1 when one fails, 2 when a named prompt or agent does
not exist (or --model names no model).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from springlet.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, handle_errors, workspace_option
from springlet.cli.run_cmd import open_workspace
from springlet.workspace.test_cases import check_expectation as check_expectation  # its old home

if TYPE_CHECKING:
    from springlet.workspace.test_cases import CaseOutcome


@click.command()
@workspace_option
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.option("--model", "model", help="Run every case on this model (e.g. ollama:qwen2.5:7b).")
@handle_errors
def test(workspace: Path, names: tuple[str, ...], model: str | None) -> None:
    """Run the tests: cases of prompts and agents (all, or only NAMEs)."""
    from springlet.workspace.model_override import on_model
    from springlet.workspace.test_cases import run_cases, unknown_names

    ws = open_workspace(workspace)
    if model is not None:
        try:
            ws = on_model(ws, model)
        except ValueError as exc:
            click.echo(f"error: --model: {exc}", err=True)
            sys.exit(EXIT_USAGE)
    with ws:
        unknown = unknown_names(ws, set(names))
        if unknown:
            click.echo(f"error: no prompt or agent named {', '.join(unknown)}", err=True)
            sys.exit(EXIT_USAGE)
        outcomes = list(run_cases(ws, set(names)))
    if not outcomes:
        click.echo("no tests: cases found")
        sys.exit(EXIT_OK)
    _print_table(outcomes)
    failed = sum(not o.passed for o in outcomes)
    click.echo(f"{len(outcomes) - failed} passed, {failed} failed")
    sys.exit(EXIT_FAILED if failed else EXIT_OK)


def _print_table(outcomes: list[CaseOutcome]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table("", "kind", "name", "case", "details")
    for o in outcomes:
        mark = "[green]PASS[/]" if o.passed else "[red]FAIL[/]"
        table.add_row(mark, o.kind, o.name, o.case, "; ".join(o.failures))
    Console(soft_wrap=True).print(table)
