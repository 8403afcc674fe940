"""Validating values against a prompt's typed inputs, with messages a person can act on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from springlet.errors import PromptInputError

if TYPE_CHECKING:
    from springlet.prompts.spec import InputSpec, PromptSpec

_ARTICLE = {"integer": "an integer", "array": "an array", "object": "an object"}


def check_value(name: str, spec: InputSpec, value: Any) -> str | None:
    """Return what is wrong with `value` for input `name`, or None when it fits."""
    from springlet.prompts.spec import value_has_type

    if not value_has_type(value, spec.type):
        want = _ARTICLE.get(spec.type, f"a {spec.type}")
        return f"input '{name}' must be {want}, got {value!r} ({type(value).__name__})"
    if spec.enum is not None and value not in spec.enum:
        allowed = ", ".join(repr(v) for v in spec.enum)
        return f"input '{name}' must be one of {allowed}; got {value!r}"
    measure: float = len(value) if spec.type in ("string", "array") else value
    unit = " characters" if spec.type == "string" else " items" if spec.type == "array" else ""
    what = "length" if unit else "value"
    if spec.minimum is not None and measure < spec.minimum:
        return f"input '{name}' {what} must be at least {_num(spec.minimum)}{unit}; got {measure}"
    if spec.maximum is not None and measure > spec.maximum:
        return f"input '{name}' {what} must be at most {_num(spec.maximum)}{unit}; got {measure}"
    return None


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def coerce_text(spec: InputSpec, text: str) -> Any:
    """Turn a command-line string (`--var max_words=50`) into a value of the input's type."""
    import json

    if spec.type == "string":
        return text
    if spec.type == "boolean":
        lowered = text.strip().lower()
        if lowered in ("true", "yes", "1", "on"):
            return True
        if lowered in ("false", "no", "0", "off"):
            return False
        return text
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def validate_inputs(prompt: PromptSpec, values: Mapping[str, Any]) -> dict[str, Any]:
    """Check `values` against `prompt.input`, fill defaults, and return the render context.

    Raises PromptInputError listing every problem at once.
    """
    problems: list[str] = []
    unknown = sorted(set(values) - set(prompt.input))
    for name in unknown:
        import difflib

        close = difflib.get_close_matches(name, list(prompt.input), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        problems.append(f"prompt '{prompt.name}' has no input '{name}'{hint}")
    context: dict[str, Any] = {}
    for name, spec in prompt.input.items():
        if name in values:
            value = values[name]
        elif not spec.required:
            value = spec.default
        else:
            about = f" ({spec.description})" if spec.description else ""
            problems.append(f"missing required input '{name}'{about}")
            continue
        problem = check_value(name, spec, value)
        if problem:
            problems.append(problem)
        context[name] = value
    if problems:
        declared = ", ".join(
            f"{n}: {s.type}{'' if s.required else ' (optional)'}" for n, s in prompt.input.items()
        )
        raise PromptInputError(
            f"invalid input for prompt '{prompt.name}': " + "; ".join(problems),
            hint=f"declared inputs are {declared}" if declared else "this prompt takes no input",
        )
    return context
