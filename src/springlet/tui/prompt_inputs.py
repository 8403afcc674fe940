"""A prompt's typed inputs as form fields: what each field is, and the typed values of
what was typed in them (springlet's own validation still runs on render)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class InputField:
    """One field of a prompt's form."""

    name: str
    type: str
    required: bool
    description: str
    default: str
    """The default as text to show in the field ("" when there is none)."""
    choices: tuple[str, ...] = ()


def input_fields(inputs: dict[str, Any]) -> list[InputField]:
    """Fields for a prompt's `input:` specs (name -> InputSpec)."""
    fields = []
    for name, spec in inputs.items():
        default = "" if spec.default is None else _as_text(spec.default)
        choices = tuple(_as_text(c) for c in spec.enum or ())
        fields.append(
            InputField(name, spec.type, spec.required, spec.description or "", default, choices)
        )
    return fields


def typed_values(fields: list[InputField], typed: dict[str, str]) -> dict[str, Any]:
    """The values to render with; an empty optional field takes its default. A value
    that is not of its field's type raises ValueError naming the field."""
    values: dict[str, Any] = {}
    for field in fields:
        text = typed.get(field.name, "").strip()
        if not text and not field.required:
            continue
        values[field.name] = _parse(field, text)
    return values


def _parse(field: InputField, text: str) -> Any:
    try:
        if field.type == "integer":
            return int(text)
        if field.type == "number":
            return float(text)
        if field.type == "boolean":
            if text.lower() not in ("true", "false", "yes", "no"):
                raise ValueError("write true or false")
            return text.lower() in ("true", "yes")
        if field.type in ("array", "object"):
            return json.loads(text)
    except ValueError as exc:
        raise ValueError(f"input '{field.name}' ({field.type}): {exc}") from None
    return text


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)
