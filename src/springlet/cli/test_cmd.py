"""`springlet test`: run the `tests:` cases of prompt and agent files, print a table.

A prompt case gives the prompt's inputs; an agent case gives `input: {message: ...}`
(and optionally `session`). The expectations (`contains`, `not_contains`, `equals`,
`matches`, `fields`) are checked against the answer's text, or against the structured
object for prompts and agents with an `output` schema; `contains` ignores case.
Exit 0 when every case passes, 1 when one fails, 2 when a named prompt or agent does
not exist.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from springlet.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, handle_errors, workspace_option
from springlet.cli.run_cmd import open_workspace
from springlet.errors import SpringletError

if TYPE_CHECKING:
    from springlet.prompts.spec import ExpectSpec, PromptTestCase
    from springlet.workspace.workspace import Workspace


@dataclass(frozen=True)
class CaseOutcome:
    kind: str
    name: str
    case: str
    failures: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.failures


@click.command()
@workspace_option
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.option("--model", "model", help="Run every case on this model (e.g. ollama:qwen2.5:7b).")
@handle_errors
def test(workspace: Path, names: tuple[str, ...], model: str | None) -> None:
    """Run the tests: cases of prompts and agents (all, or only NAMEs)."""
    ws = open_workspace(workspace)
    if model is not None:
        ws = on_model(ws, model)
    with ws:
        unknown = sorted(set(names) - set(ws.loaded.prompts) - set(ws.loaded.agents))
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


def on_model(ws: Workspace, model: str) -> Workspace:
    """`ws` with every prompt, agent and router, and the default, on `model`."""
    import dataclasses

    from springlet.models.reference import parse_model_ref
    from springlet.workspace.workspace import Workspace

    try:
        ref = parse_model_ref(model)
    except ValueError as exc:
        click.echo(f"error: --model: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    loaded = ws.loaded
    moved = dataclasses.replace(
        loaded,
        settings=loaded.settings.model_copy(update={"default_model": ref}),
        prompts={n: p.model_copy(update={"model": ref}) for n, p in loaded.prompts.items()},
        agents={n: a.model_copy(update={"model": ref}) for n, a in loaded.agents.items()},
    )
    return Workspace(moved, tracing=ws.tracing)


def run_cases(ws: Workspace, only: set[str]) -> Iterator[CaseOutcome]:
    """Run every case of every prompt, then every agent (those in `only`, if given)."""
    for name, prompt_spec in sorted(ws.loaded.prompts.items()):
        if only and name not in only:
            continue
        for index, case in enumerate(prompt_spec.tests, 1):
            yield _run_case(
                "prompt", name, index, case, lambda c, n=name: ws.prompt(n).run(**c.input)
            )
    for name, agent_spec in sorted(ws.loaded.agents.items()):
        if only and name not in only:
            continue
        for index, case in enumerate(agent_spec.tests, 1):
            yield _run_case("agent", name, index, case, lambda c, n=name: _ask_agent(ws, n, c))


def _ask_agent(ws: Workspace, name: str, case: PromptTestCase) -> Any:
    message = case.input.get("message")
    if not isinstance(message, str):
        raise SpringletError("an agent test case needs `input: {message: ...}`")
    result = ws.agent(name).run(message, session_id=case.input.get("session"))
    if result.status != "ok":
        raise SpringletError(f"run {result.status}: {result.error or result.text}")
    return result.output if result.output is not None else result.text


def _run_case(kind: str, name: str, index: int, case: PromptTestCase, call: Any) -> CaseOutcome:
    label = case.name or f"case {index}"
    try:
        answer = call(case)
    except SpringletError as exc:
        return CaseOutcome(kind, name, label, (str(exc).splitlines()[0],))
    return CaseOutcome(kind, name, label, tuple(check_expectation(case.expect, answer)))


def check_expectation(expect: ExpectSpec, answer: Any) -> Iterator[str]:
    """What `answer` fails of `expect`; nothing when it passes."""
    if hasattr(answer, "model_dump"):
        answer = answer.model_dump()
    text = answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False)
    for needle in expect.contains:
        if needle.lower() not in text.lower():
            yield f"does not contain {needle!r}"
    for needle in expect.not_contains:
        if needle.lower() in text.lower():
            yield f"contains {needle!r}"
    if expect.equals is not None and text.strip() != expect.equals.strip():
        yield f"is not {expect.equals!r}"
    if expect.matches is not None and not re.search(expect.matches, text):
        yield f"does not match /{expect.matches}/"
    for key, wanted in expect.fields.items():
        got = answer.get(key, "<missing>") if isinstance(answer, dict) else "<not an object>"
        if got != wanted:
            yield f"field {key} is {got!r}, expected {wanted!r}"


def _print_table(outcomes: list[CaseOutcome]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table("", "kind", "name", "case", "details")
    for o in outcomes:
        mark = "[green]PASS[/]" if o.passed else "[red]FAIL[/]"
        table.add_row(mark, o.kind, o.name, o.case, "; ".join(o.failures))
    Console(soft_wrap=True).print(table)
