"""Load-time checks of templates: undeclared and unused variables, syntax, unsafe access."""

from __future__ import annotations

import re
from collections.abc import Iterable

from springlet.errors import Problem
from springlet.prompts.template import (
    BUILTIN_VARIABLES,
    TemplateSyntaxProblem,
    template_variables,
    unsafe_attributes,
)
from springlet.yaml_source import NodePath, YamlSource


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
