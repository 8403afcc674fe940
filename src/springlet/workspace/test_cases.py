"""Running the `tests:` cases of a workspace's prompts and agents (`springlet test`).

A prompt case gives the prompt's inputs; an agent case gives `input: {message: ...}`
(and optionally `session`). The expectations (`contains`, `not_contains`, `equals`,
`matches`, `fields`) are checked against the answer's text, or against the structured
object for prompts and agents with an `output` schema; `contains` ignores case.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Set
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from springlet.errors import SpringletError

if TYPE_CHECKING:
    from springlet.prompts.spec import ExpectSpec, PromptTestCase
    from springlet.workspace.workspace import Workspace


@dataclass(frozen=True)
class CaseOutcome:
    """One case's verdict: what of its expectations the answer failed (none: passed)."""

    kind: str
    """"prompt" or "agent"."""
    name: str
    case: str
    """The case's `name:`, or "case N"."""
    failures: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.failures


def unknown_names(ws: Workspace, names: Set[str]) -> list[str]:
    """The `names` that are neither a prompt nor an agent of `ws`, sorted."""
    return sorted(set(names) - set(ws.loaded.prompts) - set(ws.loaded.agents))


def run_cases(ws: Workspace, only: Set[str] = frozenset()) -> Iterator[CaseOutcome]:
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
