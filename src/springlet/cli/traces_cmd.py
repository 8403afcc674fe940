"""`springlet traces`: list, show and export recorded runs; reset a damaged store."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from springlet.cli.common import handle_errors, workspace_option
from springlet.errors import SpringletError

if TYPE_CHECKING:
    from springlet.workspace import RunSummary, RunTree, Span, Traces

STATUS_COLOURS = {
    "ok": "green",
    "error": "red",
    "cancelled": "yellow",
    "step_limit": "yellow",
    "running": "cyan",
}
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}


def open_store(workspace: Path) -> Traces:
    """The workspace's traces (only springlet.yaml is read: listing traces never imports
    the workspace's tools), with a clear error when none were recorded yet."""
    from springlet.workspace.settings_only import open_traces

    traces = open_traces(workspace)
    if not traces.recorded:
        raise SpringletError(
            f"no traces recorded yet in {traces.path}",
            hint='run an agent first (`springlet run AGENT "question"`), '
            "or pass -w for another workspace",
        )
    return traces


def parse_since(text: str) -> datetime:
    """`30m`, `1h`, `2d`, `1w` -> the time that long ago."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*", text)
    if match is None:
        raise click.BadParameter(f"{text!r}: use a number and a unit s, m, h, d or w (e.g. 1h)")
    seconds = float(match.group(1)) * UNITS[match.group(2)]
    return datetime.fromtimestamp(time.time() - seconds, UTC)


@click.group()
def traces() -> None:
    """List, show and export recorded runs."""


@traces.command()
@workspace_option
@handle_errors
def reset(workspace: Path) -> None:
    """Move the trace store aside (a damaged one, say) and start a new one.

    The old file is kept next to it as traces.sqlite.damaged-<time>; runs are not
    affected, only the recorded traces start afresh.
    """
    from springlet.workspace.settings_only import open_traces

    traces = open_traces(workspace)
    moved = traces.reset()
    if moved is None:
        click.echo(f"no trace store at {traces.path}; nothing to reset")
        return
    click.echo(f"moved {traces.path} aside to {moved.name}; the next run starts a new trace store")


@traces.command("list")
@workspace_option
@click.option("--agent", help="Only runs of this agent.")
@click.option("--failed", is_flag=True, help="Only runs that did not finish ok.")
@click.option("--since", help="Only runs started within this long (30m, 1h, 2d).")
@click.option("--limit", default=50, show_default=True, help="At most this many runs.")
@click.option("--json", "as_json", is_flag=True, help="Print runs as JSON (for machines).")
@handle_errors
def list_runs(
    workspace: Path, agent: str | None, failed: bool, since: str | None, limit: int, as_json: bool
) -> None:
    """List recent runs, newest first."""
    started_after = parse_since(since) if since else None
    runs = open_store(workspace).list(agent=agent, failed=failed, since=started_after, limit=limit)
    if as_json:
        click.echo(json.dumps([r.to_dict() for r in runs], indent=2, ensure_ascii=False))
        return
    if not runs:
        click.echo("no runs match")
        return
    for run in runs:
        click.echo(_run_line(run))


def _run_line(run: RunSummary) -> str:
    from springlet.workspace.traces_view import short_id

    started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(run.start_ns / 1e9))
    status = click.style(f"{run.status.value:<10}", fg=STATUS_COLOURS.get(run.status.value))
    question = (run.input or "").replace("\n", " ")
    question = question[:50] + "…" if len(question) > 51 else question
    return (
        f"{short_id(run.run_id)}  {started}  {status} {run.agent:<16} "
        f"{_duration(run.duration_ms):>8}  {_tokens(run.input_tokens, run.output_tokens):<14}"
        f"  {question}"
    )


@traces.command()
@workspace_option
@click.argument("run_id")
@handle_errors
def show(workspace: Path, run_id: str) -> None:
    """Show one run as an indented tree with durations, tokens and errors (an id prefix works)."""
    tree = open_store(workspace).get(run_id)
    run = tree.run
    click.echo(f"run {run.run_id}  agent {run.agent}  model {run.model or '-'}")
    if run.input:
        click.echo(f"input:  {run.input}")
    if run.output:
        click.echo(f"output: {run.output}")
    click.echo("")
    for line in render_tree(tree):
        click.echo(line)


def render_tree(tree: RunTree) -> list[str]:
    """A run's span tree as indented lines, children in start order."""
    ids = {s.span_id for s in tree.spans}
    roots = [s for s in tree.spans if s.span_id == tree.run.run_id] or [
        s for s in tree.spans if s.parent_id not in ids
    ]
    children = {s.span_id: list(tree.children(s.span_id)) for s in tree.spans}
    lines: list[str] = []

    def walk(span: Span, prefix: str, last: bool, top: bool) -> None:
        branch = "" if top else ("└─ " if last else "├─ ")
        lines.append(prefix + branch + _span_line(span))
        inner = prefix + ("" if top else ("   " if last else "│  "))
        for detail in _details(span):
            lines.append(inner + ("   " if not children.get(span.span_id) else "│  ") + detail)
        kids = children.get(span.span_id, [])
        for i, child in enumerate(kids):
            walk(child, inner, i == len(kids) - 1, False)

    for root in roots:
        walk(root, "", True, True)
    return lines


def _span_line(span: Span) -> str:
    a = span.attributes
    status = click.style(span.status.value, fg=STATUS_COLOURS.get(span.status.value))
    parts = [f"[{span.kind.value}] {span.name}", status, _duration(span.duration_ms)]
    if "gen_ai.usage.input_tokens" in a:
        parts.append(
            _tokens(a.get("gen_ai.usage.input_tokens"), a.get("gen_ai.usage.output_tokens"))
        )
    if "springlet.time_to_first_token_ms" in a:
        parts.append(f"ttft {_duration(a['springlet.time_to_first_token_ms'])}")
    if "springlet.tokens_per_second" in a:
        parts.append(f"{a['springlet.tokens_per_second']:.0f} tok/s")
    return "  ".join(parts)


def _details(span: Span) -> list[str]:
    a = span.attributes
    out: list[str] = []
    if span.kind.value == "tool":
        out.append(f"args:   {_short(a.get('gen_ai.tool.call.arguments'))}")
        if "gen_ai.tool.call.result" in a:
            out.append(f"result: {_short(a['gen_ai.tool.call.result'])}")
    elif span.kind.value == "model":
        answer = (a.get("gen_ai.output.messages") or [{}])[-1]
        if answer.get("tool_calls"):
            calls = ", ".join(
                f"{c['name']}({_short(c['arguments'], 40)})" for c in answer["tool_calls"]
            )
            out.append(f"calls:  {calls}")
        elif answer.get("content"):
            out.append(f"answer: {_short(answer['content'])}")
    elif span.kind.value == "retrieval":
        sources = a.get("springlet.retrieval.sources") or []
        out.append(
            f"query:  {_short(a.get('springlet.retrieval.query'))}  ({len(sources)} sources)"
        )
        for source in sources[:5]:
            score = source.get("score")
            label = source.get("source") or source.get("id") or _short(source.get("text"), 40)
            out.append(f"  {score if score is None else f'{score:.3f}'}  {label}")
    if span.error:
        out.append(click.style(f"error:  {_short(span.error, 200)}", fg="red"))
    return out


def _short(value: Any, limit: int = 100) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _duration(ms: float | None) -> str:
    if ms is None:
        return "…"
    return f"{ms:.1f} ms" if ms < 1000 else f"{ms / 1000:.2f} s"


def _tokens(inp: int | None, out: int | None) -> str:
    if inp is None and out is None:
        return ""
    return f"{inp or 0}→{out or 0} tok"


@traces.command()
@workspace_option
@click.argument("run_ids", nargs=-1, required=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "finetune", "otlp"]),
    default="json",
    show_default=True,
    help="json (stable format), finetune (JSONL), otlp (to OTEL_EXPORTER_OTLP_ENDPOINT).",
)
@click.option("--messages", is_flag=True, help="finetune: the chat form {'messages': [...]}.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of stdout.",
)
@handle_errors
def export(
    workspace: Path, run_ids: tuple[str, ...], fmt: str, messages: bool, output: Path | None
) -> None:
    """Export runs as JSON, fine-tuning JSONL or to an OpenTelemetry collector (OTLP)."""
    traces = open_store(workspace)
    if fmt == "otlp":
        sent = traces.export_runs(run_ids, "otlp")
        click.echo(f"sent {sent.spans} spans of {sent.runs} runs over OTLP", err=True)
        return
    exported = traces.export_runs(run_ids, fmt, output, messages=messages)  # type: ignore[arg-type]  # click.Choice
    if exported.skipped:
        click.echo(f"skipped {exported.skipped} runs that did not finish ok", err=True)
    if output is None:
        click.echo(exported.text or "", nl=False)
    else:
        click.echo(f"wrote {output}", err=True)


__all__ = ["traces"]
