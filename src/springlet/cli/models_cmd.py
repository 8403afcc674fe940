"""`springlet models`: list, show, pull Ollama models, and estimate whether one fits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from springlet.cli.common import handle_errors, workspace_option

if TYPE_CHECKING:
    from springlet.workspace import FitEstimate, Models, OllamaModel

GIB = 1024**3


@click.group()
def models() -> None:
    """List, show, pull and import models; estimate whether a model fits in memory."""


def _models(workspace: Path) -> Models:
    """`ws.models` of the workspace: only springlet.yaml is read (refused when it has
    problems), so listing models never imports the workspace's tools."""
    from springlet.workspace.settings_only import open_models

    return open_models(workspace)


def _gib(size: int | None) -> str:
    return f"{size / GIB:.1f} GiB" if size else "-"


@models.command(name="list")
@workspace_option
@click.option("--json", "as_json", is_flag=True, help="Print the models as JSON.")
@click.option(
    "--embedded",
    "embedded_only",
    is_flag=True,
    help="Only the GGUFs that run in-process (bundled, imported, Ollama's store on disk).",
)
@handle_errors
def list_models(workspace: Path, as_json: bool, embedded_only: bool) -> None:
    """Models that run in-process (kind, fit), then those of the Ollama server."""
    from rich.console import Console
    from rich.table import Table

    if embedded_only:
        _list_embedded(workspace, as_json)
        return
    if not as_json:
        _list_embedded(workspace, as_json=False)
    models = _models(workspace)
    found = models.ollama_models()
    if as_json:
        click.echo(json.dumps([m.to_json() for m in found], indent=2))
        return
    if not found:
        click.echo(f"no models at Ollama {models.host}; try `springlet models pull qwen2.5:7b`")
        return
    table = Table(title=f"Ollama models at {models.host}")
    for column in ("name", "family", "parameters", "quantization", "context", "size"):
        table.add_column(column)
    table.add_column("capabilities")
    for m in found:
        context = str(m.context_length) if m.context_length else "-"
        table.add_row(
            m.name,
            m.family,
            m.parameter_size,
            m.quantization_level,
            context,
            _gib(m.size_bytes),
            ", ".join(sorted(m.capabilities)),
        )
    Console(width=120).print(table)


@models.command()
@workspace_option
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the details as JSON.")
@handle_errors
def show(workspace: Path, name: str, as_json: bool) -> None:
    """Details and capabilities of model NAME, and whether it fits in this machine."""
    models = _models(workspace)
    info = models.ollama_details(name)
    estimate = models.fit_of(info)
    if as_json:
        click.echo(json.dumps({**info.to_json(), "fit": _fit_json(estimate)}, indent=2))
        return
    click.echo(_describe(info))
    click.echo(f"memory:        {estimate.verdict()} (context {estimate.context_length})")


def _describe(info: OllamaModel) -> str:
    tools = "native" if info.supports_tools else "prompted (no native tool support)"
    rows = [
        ("name", info.name),
        ("family", info.family or "-"),
        ("parameters", info.parameter_size or "-"),
        ("quantization", info.quantization_level or "-"),
        ("context", str(info.context_length or "-")),
        ("capabilities", ", ".join(sorted(info.capabilities)) or "-"),
        ("tool calls", tools),
    ]
    return "\n".join(f"{label + ':':<15}{value}" for label, value in rows)


@models.command()
@workspace_option
@click.argument("name")
@handle_errors
def pull(workspace: Path, name: str) -> None:
    """Download model NAME to the Ollama server, with a progress bar."""
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TransferSpeedColumn,
    )

    from springlet.workspace import PullProgress

    models = _models(workspace)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
    )
    with Progress(*columns, transient=False) as progress:
        tasks: dict[str, Any] = {}

        def report(line: PullProgress) -> None:
            if not line.total:  # a step without bytes: "pulling manifest", "success"
                progress.console.print(line.status)
                return
            key = line.digest or line.status
            if key not in tasks:
                tasks[key] = progress.add_task(line.status, total=line.total)
            progress.update(tasks[key], completed=line.completed or 0)

        models.pull(name, report)
    click.echo(f"pulled {name} to Ollama at {models.host}")


@models.command()
@workspace_option
@click.argument("name")
@click.option("--ctx", "context", type=click.IntRange(min=1), help="Context length in tokens.")
@click.option("--parallel", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the estimate as JSON.")
@handle_errors
def fit(workspace: Path, name: str, context: int | None, parallel: int, as_json: bool) -> None:
    """Estimate the memory model NAME needs (weights + KV cache) next to this machine's."""
    estimate = _models(workspace).fit(name, context, parallel)
    if as_json:
        click.echo(json.dumps(_fit_json(estimate), indent=2))
        return
    shape = "" if estimate.exact_architecture else " (rough: model shape unknown)"
    click.echo(f"model:         {estimate.model}")
    click.echo(f"context:       {estimate.context_length} tokens x {estimate.parallel} parallel")
    click.echo(
        f"weights:       {_gib(estimate.weights_bytes)} "
        f"({estimate.bits_per_weight:g} bits per weight)"
    )
    click.echo(f"KV cache:      {_gib(estimate.kv_cache_bytes)}{shape}")
    click.echo(f"overhead:      {_gib(estimate.overhead_bytes)}")
    click.echo(f"total:         {_gib(estimate.total_bytes)}")
    click.echo(
        f"machine:       {_gib(estimate.machine_total_bytes)} total, "
        f"{_gib(estimate.machine_available_bytes)} available"
    )
    click.echo(estimate.verdict())


def _fit_json(estimate: FitEstimate) -> dict[str, Any]:
    return {
        "model": estimate.model,
        "context_length": estimate.context_length,
        "parallel": estimate.parallel,
        "weights_bytes": estimate.weights_bytes,
        "kv_cache_bytes": estimate.kv_cache_bytes,
        "overhead_bytes": estimate.overhead_bytes,
        "total_bytes": estimate.total_bytes,
        "machine_total_bytes": estimate.machine_total_bytes,
        "machine_available_bytes": estimate.machine_available_bytes,
        "fits": estimate.fits,
    }


def _list_embedded(workspace: Path, as_json: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    from springlet.workspace.local_models import local_fit, local_models

    local = local_models(workspace, _models(workspace).settings.data_dir)
    if as_json:
        rows = [
            {
                "name": m.name,
                "kind": m.metadata.kind,
                "family": m.metadata.family,
                "parameter_size": m.metadata.parameter_size,
                "quantization_level": m.metadata.quantization,
                "context_length": m.metadata.context_length,
                "chat_template": m.metadata.has_chat_template,
                "source": m.source,
                "path": str(m.path),
                "sha256": m.sha256,
                "fit": _fit_json(local_fit(m)),
            }
            for m in local
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table(title="Embedded models (run in-process as embedded:NAME)")
    for column in ("name", "kind", "family", "parameters", "quantization", "context", "fit"):
        table.add_column(column)
    table.add_column("source")
    for m in local:
        estimate = local_fit(m)
        fits = {True: "fits", False: "too big", None: "?"}[estimate.fits]
        table.add_row(
            m.name,
            m.metadata.kind,
            m.metadata.family,
            m.metadata.parameter_size,
            m.metadata.quantization,
            str(m.metadata.context_length or "-"),
            f"{fits} ({_gib(estimate.total_bytes)})",
            m.source,
        )
    Console(width=140).print(table)


@models.command(name="import")
@workspace_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", help="Name to run it by (`embedded:NAME`); default: the file's stem.")
@click.option("--link", is_flag=True, help="Symlink the file instead of copying it.")
@click.option("--force", is_flag=True, help="Replace a model imported under the same name.")
@handle_errors
def import_model(workspace: Path, file: Path, name: str | None, link: bool, force: bool) -> None:
    """Copy (or link) the GGUF FILE into the workspace's model store, with its sha256."""
    from springlet.workspace.local_models import import_local_model

    data_dir = _models(workspace).settings.data_dir
    model = import_local_model(workspace, data_dir, file, name=name, link=link, force=force)
    meta = model.metadata
    click.echo(
        f"imported {model.name}: {meta.name} ({meta.family}, {meta.parameter_size}, "
        f"{meta.quantization}, context {meta.context_length or '?'}), "
        f"{'an instruct' if meta.kind == 'instruct' else 'a base'} model; "
        f"sha256 {model.sha256[:16]}...; {'linked' if link else 'copied'} to {model.path}"
    )
    if meta.kind == "base":
        click.echo(
            f"note: {model.name} has no chat template: it is a base model, and "
            f"`embedded:{model.name}` is refused as a chat model (it only continues text)",
            err=True,
        )
    else:
        click.echo(f"use it as: default_model: embedded:{model.name}")
