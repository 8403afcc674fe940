"""What every sub-command shares: the workspace option, exit codes, error printing."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from springlet.errors import SpringletError

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK = 0
EXIT_FAILED = 1
"""The command ran and the thing it checked or ran failed (invalid workspace, failed run)."""
EXIT_USAGE = 2
"""The command was called wrongly (unknown option, unknown agent name, ...)."""


def workspace_option(func: F) -> F:
    """`-w/--workspace DIR` (or SPRINGLET_WORKSPACE), defaulting to the current directory."""
    return click.option(
        "-w",
        "--workspace",
        "workspace",
        type=click.Path(file_okay=False, path_type=Path),
        envvar="SPRINGLET_WORKSPACE",
        default=Path("."),
        show_default="current directory",
        help="The workspace directory (or set SPRINGLET_WORKSPACE).",
    )(func)


def handle_errors(func: F) -> F:
    """Print a SpringletError as its message and exit 1, never as a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SpringletError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_FAILED)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


def display_path(path: Path) -> Path:
    """`path` relative to the current directory when it is below it (shorter messages)."""
    try:
        return path.resolve().relative_to(Path(os.getcwd()).resolve())
    except ValueError:
        return path
