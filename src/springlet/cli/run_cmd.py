"""`springlet run AGENT "message"`: one question, the answer streamed to stdout.

Tokens go to stdout as they arrive; tool calls, approvals and the run's outcome go to
stderr, dimmed, so `springlet run a "q" > answer.txt` keeps only the answer. `--json`
prints the whole RunResult instead. Exit codes: 0 answered, 1 the run failed (model
error, timeout, step limit, broken agent file), 2 the command was called wrongly (an
unknown agent, an empty question). What tools print goes to stderr, never into the answer.
"""

from __future__ import annotations

import contextlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click

from springlet.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    handle_errors,
    note_run_id,
    workspace_option,
)
from springlet.errors import NotFoundError, Problem

if TYPE_CHECKING:
    from springlet import Agent, RunResult, Workspace
    from springlet.agents.events import Event

_PREVIEW = 200


@click.command()
@workspace_option
@click.argument("agent_name", metavar="AGENT")
@click.argument("message")
@click.option("--session", "session_id", help="Continue the conversation with this id.")
@click.option("--json", "as_json", is_flag=True, help="Print the RunResult as JSON.")
@click.option("--yes", "-y", "auto_approve", is_flag=True, help="Approve every tool call.")
@handle_errors
def run(
    workspace: Path,
    agent_name: str,
    message: str,
    session_id: str | None,
    as_json: bool,
    auto_approve: bool,
) -> None:
    """Ask AGENT one MESSAGE; the answer streams to stdout."""
    message = question_or_exit(message)
    answer_out = sys.stdout
    # what tools print (at import or when called) goes to stderr: stdout carries only the
    # answer, or the --json document
    with contextlib.redirect_stdout(sys.stderr):
        ws = open_workspace(workspace)
        with ws:
            agent = agent_or_exit(ws, agent_name)
            view = RunView(quiet=as_json, auto_approve=auto_approve, out=answer_out)
            result = view.follow(agent, message, session_id)
    if as_json:
        document = json.dumps(result.to_json(), indent=2, ensure_ascii=False, default=str)
        click.echo(document, file=answer_out)
    sys.exit(EXIT_OK if result.status == "ok" else EXIT_FAILED)


def question_or_exit(message: str) -> str:
    """The question as the model gets it: bytes that are not UTF-8 (which reach Python
    as surrogates) replaced, with a warning; a blank question is a usage error."""
    cleaned = message.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    if cleaned != message:
        click.echo(
            "warning: the question has bytes that are not UTF-8 (is the terminal's "
            "encoding UTF-8?); they were replaced by \ufffd",
            err=True,
        )
    if not cleaned.strip():
        click.echo('error: the question is empty; ask something, e.g. "Where is A-1001?"', err=True)
        sys.exit(EXIT_USAGE)
    return cleaned


def open_workspace(path: Path) -> Workspace:
    """The workspace at `path`; a missing directory is a usage error."""
    from springlet.workspace.workspace import load_workspace

    if not path.is_dir():
        click.echo(f"error: no workspace directory {path}", err=True)
        sys.exit(EXIT_USAGE)
    return load_workspace(path)


def agent_or_exit(ws: Workspace, name: str) -> Agent:
    """`ws.agent(name)`, exiting 2 with a did-you-mean when there is no such agent."""
    try:
        return ws.agent(name)
    except NotFoundError as exc:
        broken = _problems_of_agent_file(ws, name)
        if broken:  # the file is there but could not be read: say so, not "did you mean"
            click.echo(f"error: agent '{name}' cannot be used; its file has problems:", err=True)
            for problem in broken:
                click.echo(f"  {problem}", err=True)
            sys.exit(EXIT_FAILED)
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USAGE)


def _problems_of_agent_file(ws: Workspace, name: str) -> list[Problem]:
    """The problems of agents/<name>.yaml (or .yml), when that file exists."""
    found = []
    for problem in ws.problems:
        path = Path(problem.location.path) if problem.location else None
        if path is not None and path.stem == name and path.parent.name == "agents":
            found.append(problem)
    return found


@dataclass
class RunView:
    """Shows one run's events in a terminal: answer on stdout, the rest dimmed on stderr."""

    quiet: bool = False
    """Show nothing while running (for --json)."""
    auto_approve: bool = False
    out: TextIO | None = None
    """Where the answer goes (None: stdout as it is when writing)."""
    streamed: dict[int, str] = field(default_factory=dict)
    """The answer text shown so far, per model step."""

    def follow(self, agent: Agent, message: str, session_id: str | None) -> RunResult:
        """Run `agent` on `message`, showing events as they come; the run's result."""
        from springlet.agents.events import RunFailed, RunFinished, RunStarted

        self.streamed.clear()
        result: RunResult | None = None
        for event in agent.stream(message, session_id=session_id):
            if isinstance(event, RunStarted):
                note_run_id(event.run_id)  # an internal error names the run
            self.show(event)
            if isinstance(event, RunFinished | RunFailed):
                result = event.result
        if result is None:  # a stream always ends with one of the two; defend the exit code
            raise click.ClickException("the run ended without a result")
        self.finish(result)
        return result

    def show(self, event: Event) -> None:
        from springlet.agents import events as ev

        if isinstance(event, ev.ApprovalRequested):
            self.ask(event)
            return
        if self.quiet:
            return
        if isinstance(event, ev.ModelToken):  # tool calls written as text never stream
            self.streamed[event.step] = self.streamed.get(event.step, "") + event.text
            click.echo(event.text, nl=False, file=self.out)
        elif isinstance(event, ev.ModelThinking):  # dimmed on stderr: never the answer
            click.echo(click.style(event.text, dim=True), nl=False, err=True)
        elif isinstance(event, ev.ToolCallStarted):
            self._note(f"-> {event.name}({_args(event.arguments)})")
        elif isinstance(event, ev.ToolCallFinished):
            self._note(f"<- {event.name}: {_preview(event.result)}")
        elif isinstance(event, ev.ToolCallFailed):
            self._note(f"<- {event.name} failed: {_preview(event.error)}")
        elif isinstance(event, ev.RetrievalDone):
            self._note(f"retrieved {len(event.sources)} passages from {event.collection}")
        elif isinstance(event, ev.RouteChosen):
            self._note(f"routed to {event.route} (score {event.score:.2f}, by {event.by})")

    def ask(self, event: Any) -> None:
        """Answer an approval request: --yes approves, otherwise ask y/n on the terminal."""
        if self.auto_approve:
            event.approve()
            return
        question = f"Run {event.name}({_args(event.arguments)})?"
        try:
            approved = click.confirm(question, default=False, err=True)
        except click.Abort:
            approved = False
        event.approve() if approved else event.reject("the user said no")

    def finish(self, result: RunResult) -> None:
        """Print what streaming did not show: a structured answer, a replaced final text."""
        if self.quiet:
            return
        out = self.out
        if result.output is not None:
            click.echo(
                json.dumps(result.output, indent=2, ensure_ascii=False, default=str), file=out
            )
        elif result.text.strip() and result.text.strip() not in self._last_streamed():
            if self.streamed:
                click.echo(file=out)
            click.echo(result.text, nl=False, file=out)
        if self.streamed or result.text:
            click.echo(file=out)
        if result.status != "ok":
            reason = result.error or result.text or result.status
            click.echo(click.style(f"run {result.status}: {reason}", fg="red"), err=True)

    def _last_streamed(self) -> str:
        return self.streamed[max(self.streamed)].strip() if self.streamed else ""

    @staticmethod
    def _note(text: str) -> None:
        click.echo(click.style(text, dim=True), err=True)


def _args(arguments: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in arguments.items())


def _preview(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _PREVIEW else flat[: _PREVIEW - 3] + "..."
