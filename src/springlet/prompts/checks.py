"""Load-time checks of templates (undeclared and unused variables, syntax, unsafe access)
and of `tests:` cases (inputs the prompt or agent does not take, missing or mistyped)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from springlet.errors import Problem
from springlet.prompts.template import (
    BUILTIN_VARIABLES,
    TemplateSyntaxProblem,
    template_variables,
    unsafe_attributes,
)
from springlet.yaml_source import NodePath, YamlSource

if TYPE_CHECKING:
    from springlet.prompts.spec import InputSpec

AGENT_CASE_INPUTS = {"message": "the message sent to the agent", "session": "a session id"}
"""What an agent's (or router's) `tests:` case may give under `input:`."""


def check_template(
    source: YamlSource, node: NodePath, text: str, declared: Iterable[str], owner: str
) -> tuple[set[str], list[Problem]]:
    """Check the template `text` found at `node`; return the variables it uses and problems."""
    found = template_variables(text)
    if isinstance(found, TemplateSyntaxProblem):
        return set(), [
            Problem(
                f"template syntax error: {found.message}",
                source.text_location(node, found.line),
                hint="Jinja2 syntax: {{ variable }}, {% if ... %}...{% endif %}",
                code="template-syntax",
            )
        ]
    problems: list[Problem] = []
    allowed = set(declared) | BUILTIN_VARIABLES
    is_prompt = owner.startswith("prompt")
    for name in sorted(found - allowed):
        if is_prompt:
            message = f"{owner} uses '{{{{ {name} }}}}' but declares no input '{name}'"
            hint = f"add '{name}: {{type: string}}' under 'input:'"
        else:
            message = f"{owner} instructions use '{{{{ {name} }}}}', which is not defined"
            hint = f"instructions may only use {', '.join(sorted(BUILTIN_VARIABLES))}"
        problems.append(
            Problem(
                message,
                source.text_location(node, _line_of(text, name)),
                hint=hint,
                code="undeclared-variable",
            )
        )
    for attr, line in unsafe_attributes(text):
        problems.append(
            Problem(
                f"{owner} reaches for attribute '{attr}', which the template sandbox forbids",
                source.text_location(node, line),
                hint="templates may only read the declared inputs and their public fields",
                code="unsafe-template",
            )
        )
    return found, problems


def _line_of(text: str, name: str) -> int:
    pattern = re.compile(r"\b" + re.escape(name) + r"\b")
    for number, line in enumerate(text.splitlines(), start=1):
        if ("{{" in line or "{%" in line) and pattern.search(line):
            return number
    return 1


def check_prompt_cases(
    source: YamlSource, inputs: Mapping[str, InputSpec], owner: str
) -> list[Problem]:
    """Each `tests:` case of a prompt gives only declared inputs, every required one, typed."""
    from springlet.prompts.inputs import check_value

    # an input whose own declaration is broken still counts as declared here
    raw = source.data.get("input") if isinstance(source.data, dict) else None
    known = [*inputs, *(n for n in (raw if isinstance(raw, dict) else {}) if n not in inputs)]
    problems: list[Problem] = []
    for index, given in _case_inputs(source):
        node: NodePath = ("tests", index, "input")
        unknown, meant = _unknown_inputs(source, index, given, known, owner)
        problems += unknown
        for name, spec in inputs.items():
            if name in given:
                wrong = check_value(name, spec, given[name])
                if wrong:
                    problems.append(
                        Problem(
                            f"test case {index + 1} of {owner}: {wrong}",
                            source.location((*node, name)),
                            hint=f"declared as {spec.type}: change the value or the declaration",
                            code="test-input-type",
                        )
                    )
            elif spec.required and name not in meant:
                problems.append(_missing(source, index, name, owner))
    return problems


def check_agent_cases(source: YamlSource, owner: str) -> list[Problem]:
    """Each `tests:` case of an agent gives `input: {message: TEXT}` (and maybe `session`)."""
    problems: list[Problem] = []
    for index, given in _case_inputs(source):
        node: NodePath = ("tests", index, "input")
        unknown, meant = _unknown_inputs(source, index, given, list(AGENT_CASE_INPUTS), owner)
        problems += unknown
        if "message" not in given and "message" not in meant:
            problems.append(_missing(source, index, "message", owner))
        for name in AGENT_CASE_INPUTS:
            if name in given and not isinstance(given[name], str):
                problems.append(
                    Problem(
                        f"test case {index + 1} of {owner}: input '{name}' must be text, "
                        f"got {given[name]!r}",
                        source.location((*node, name)),
                        hint="quote the value",
                        code="test-input-type",
                    )
                )
    return problems


def _case_inputs(source: YamlSource) -> Iterable[tuple[int, dict[str, Any]]]:
    """(index, input mapping) of every case in the file, as written (not as salvaged)."""
    cases = source.data.get("tests") if isinstance(source.data, dict) else None
    for index, case in enumerate(cases if isinstance(cases, list) else []):
        given = case.get("input", {}) if isinstance(case, dict) else None
        if isinstance(given, dict):
            yield index, given


def _unknown_inputs(
    source: YamlSource, index: int, given: dict[str, Any], known: list[str], owner: str
) -> tuple[list[Problem], set[str]]:
    """Problems for inputs not in `known`, and the known names they look like typos of
    (a missing input that was only misspelt is not reported twice)."""
    problems = []
    meant: set[str] = set()
    for name in given:
        if name in known:
            continue
        close = difflib.get_close_matches(str(name), known, n=1, cutoff=0.6)
        if close:
            hint = f"did you mean '{close[0]}'?"
            meant.add(close[0])
        elif known:
            hint = "its inputs are " + ", ".join(known)
        else:
            hint = "it declares no inputs; remove this one"
        problems.append(
            Problem(
                f"test case {index + 1} of {owner} gives input '{name}', which it does not take",
                source.location(("tests", index, "input", str(name)), key=True),
                hint=hint,
                code="unknown-test-input",
            )
        )
    return problems, meant


def _missing(source: YamlSource, index: int, name: str, owner: str) -> Problem:
    about = AGENT_CASE_INPUTS.get(name)
    return Problem(
        f"test case {index + 1} of {owner} does not give the required input '{name}'",
        source.location(("tests", index, "input")),
        hint=f"add '{name}: ...' under the case's 'input:'" + (f" ({about})" if about else ""),
        code="missing-test-input",
    )
