"""A prompt's inputs from text (`springlet prompt NAME --var max_words=50`, a form field):
each value read as the type the prompt declares for it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from springlet.errors import PromptInputError

if TYPE_CHECKING:
    from springlet.prompts.spec import PromptSpec


def inputs_from_text(spec: PromptSpec, values: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """`(name, text)` pairs as the prompt's inputs: `"50"` is 50 for an integer input,
    `"yes"` True for a boolean one, JSON for arrays and objects; names the prompt does not
    declare keep their text (validation reports them when the prompt runs)."""
    from springlet.prompts.inputs import coerce_text

    inputs: dict[str, Any] = {}
    for name, text in values:
        declared = spec.input.get(name)
        inputs[name] = coerce_text(declared, text) if declared is not None else text
    return inputs


def parse_assignments(assignments: Iterable[str]) -> list[tuple[str, str]]:
    """`KEY=VALUE` strings as `(key, value)` pairs (the value may hold `=`)."""
    pairs = []
    for item in assignments:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise PromptInputError(f"--var expects KEY=VALUE, got {item!r}")
        pairs.append((key, value))
    return pairs
