"""Jinja2 templates rendered in a sandbox, and the variables a template uses.

Templates run in Jinja2's `ImmutableSandboxedEnvironment` with `StrictUndefined`:
a template cannot reach Python internals (`''.__class__.__mro__` raises a security
error) nor mutate the values it is given, and a missing variable is an error rather
than an empty string. Values are data, never templates: a user who types
`{{ 7 * 7 }}` into an input gets those characters back, not 49.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from springlet.errors import TemplateRenderError

if TYPE_CHECKING:
    from jinja2 import Template
    from jinja2.sandbox import ImmutableSandboxedEnvironment

BUILTIN_VARIABLES: frozenset[str] = frozenset({"today", "now"})
"""Variables every template may use without declaring them."""


@dataclass(frozen=True)
class TemplateSyntaxProblem:
    """A template that does not parse: the message and the line inside the template."""

    message: str
    line: int


@lru_cache(maxsize=1)
def environment() -> ImmutableSandboxedEnvironment:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    return ImmutableSandboxedEnvironment(
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
    )


def template_variables(source: str) -> set[str] | TemplateSyntaxProblem:
    """The free variables `source` reads (minus Jinja's own globals), or why it won't parse."""
    from jinja2 import TemplateSyntaxError, meta

    env = environment()
    try:
        ast = env.parse(source)
    except TemplateSyntaxError as exc:
        return TemplateSyntaxProblem(exc.message or "invalid template", exc.lineno or 1)
    return set(meta.find_undeclared_variables(ast)) - set(env.globals)


@lru_cache(maxsize=512)
def _compiled(source: str) -> Template:
    return environment().from_string(source)


def builtin_context() -> dict[str, Any]:
    """Values of the built-in variables at this moment."""
    now = datetime.datetime.now().astimezone()
    return {"today": now.date().isoformat(), "now": now.isoformat(timespec="seconds")}


def render(source: str, values: Mapping[str, Any], *, what: str = "template") -> str:
    """Render `source` with `values` (plus the built-ins) in the sandbox."""
    from jinja2 import TemplateError
    from jinja2.exceptions import SecurityError, UndefinedError

    context = {**builtin_context(), **values}
    try:
        return _compiled(source).render(context)
    except SecurityError as exc:
        raise TemplateRenderError(
            f"{what} tried something the sandbox forbids: {exc}",
            hint="templates may only read the declared inputs; remove the attribute access",
        ) from None
    except UndefinedError as exc:
        raise TemplateRenderError(
            f"{what} uses an undefined value: {exc.message}",
            hint="declare the variable under `input:` or pass a value for it",
        ) from None
    except TemplateError as exc:
        raise TemplateRenderError(f"{what} failed to render: {exc}") from None


def unsafe_attributes(source: str) -> list[tuple[str, int]]:
    """Attribute names starting with `_` that `source` reads (the sandbox would refuse them)."""
    from jinja2 import TemplateSyntaxError, nodes

    try:
        ast = environment().parse(source)
    except TemplateSyntaxError:
        return []
    found: list[tuple[str, int]] = []
    for node in ast.find_all((nodes.Getattr, nodes.Getitem)):
        if isinstance(node, nodes.Getattr):
            name = node.attr
        elif (
            isinstance(node, nodes.Getitem)
            and isinstance(node.arg, nodes.Const)
            and isinstance(node.arg.value, str)
        ):
            name = node.arg.value
        else:
            continue
        if name.startswith("_"):
            found.append((name, node.lineno))
    return found
