"""What every sub-command shares: the workspace option, exit codes, error printing."""

from __future__ import annotations

import functools
import logging
import os
import sys
import time
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from springlet.errors import SpringletError

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger("springlet.cli")

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
    """Print a SpringletError as its message and exit 1, never as a traceback; anything
    else is an internal error: one line, the run id, where the traceback is (`--debug`
    prints it)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _show_springlet_warnings_plainly()
        try:
            return func(*args, **kwargs)
        except SpringletError as exc:
            log.debug("command failed", exc_info=exc)
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_FAILED)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except (click.ClickException, click.Abort, click.exceptions.Exit):
            raise
        except Exception as exc:  # a bug, or a failure nobody named: no raw traceback
            report_internal_error(exc)
            sys.exit(EXIT_FAILED)

    return wrapper  # type: ignore[return-value]


_current_run: list[str] = []


def note_run_id(run_id: str) -> None:
    """Remember the run in progress, so an internal error can name it."""
    _current_run[:] = [run_id]


def debug_enabled() -> bool:
    return os.environ.get("SPRINGLET_DEBUG", "") not in ("", "0")


def debug_log_path() -> Path:
    """Where internal errors keep their tracebacks (SPRINGLET_CACHE_DIR or ~/.cache)."""
    base = os.environ.get("SPRINGLET_CACHE_DIR")
    if base:
        return Path(base) / "debug.log"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "springlet" / "debug.log"


def report_internal_error(exc: BaseException) -> None:
    """'internal error: ...' with the run id and the traceback's whereabouts."""
    trace = "".join(traceback.format_exception(exc))
    run = f" in run {_current_run[0]}" if _current_run else ""
    where = _keep_traceback(trace, run)
    click.echo(f"internal error{run}: {type(exc).__name__}: {exc}", err=True)
    if debug_enabled():
        click.echo(trace, err=True, nl=False)
        return
    kept = f"the traceback is in {where}; " if where else ""
    click.echo(
        f"  {kept}run again with --debug (or SPRINGLET_DEBUG=1) to print it, and please report it",
        err=True,
    )


def _keep_traceback(trace: str, run: str) -> Path | None:
    path = debug_log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and path.stat().st_size > _DEBUG_LOG_LIMIT:
            path.replace(path.with_name(path.name + ".1"))
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        with path.open("a", encoding="utf-8") as log_file:
            log_file.write(f"--- {stamp} springlet {' '.join(sys.argv[1:])}{run}\n{trace}")
    except OSError:
        return None
    return path


_DEBUG_LOG_LIMIT = 1_000_000


def _show_springlet_warnings_plainly() -> None:
    """springlet's own warnings (traces not written, ...) as one `warning: ...` line,
    not Python's two lines with the source of `warnings.warn`."""
    original = warnings.showwarning
    if getattr(original, "springlet_plain", False):
        return

    def show(message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
        if category.__module__.startswith("springlet"):
            click.echo(f"warning: {message}", err=True)
        else:
            original(message, category, *args, **kwargs)

    show.springlet_plain = True  # type: ignore[attr-defined]
    warnings.showwarning = show


def display_path(path: Path) -> Path:
    """`path` relative to the current directory when it is below it (shorter messages)."""
    try:
        return path.resolve().relative_to(Path(os.getcwd()).resolve())
    except ValueError:
        return path
