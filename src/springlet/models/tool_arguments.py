"""Repairing the malformed tool-call arguments small local models write.

Small models send `{'city': 'Paris',}`, `{city: "Paris"}`, or `{"ids": "[1, 2]"}` where
the schema wants an array. `repair_arguments` fixes such arguments with `json-repair`,
but only when the repair is unambiguous:

- the text is complete: it starts with `{` and ends with `}` (a cut-off answer is a guess
  away from what the model meant, so it is not repaired);
- no word of the text was lost or invented (json-repair drops what it cannot place);
- the repaired arguments validate against the tool's JSON schema.

Anything else is reported as an error the model can act on; the caller sends it back.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

_WORD = re.compile(r"\w+")
_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)
_PYTHON_LITERALS = {"True": "true", "False": "false", "None": "null"}

REPAIRED_KEY = "springlet_repaired_arguments"
"""`response_metadata` key of an AI message: {call id: the arguments as first written}."""
INVALID_KEY = "springlet_invalid_arguments"
"""`response_metadata` key of an AI message: {call id: why its arguments were refused}."""


@dataclass(frozen=True)
class ArgumentRepair:
    """The outcome for one tool call's arguments."""

    arguments: dict[str, Any]
    """The arguments to use (the repaired ones, or `{}` when they could not be repaired)."""
    original: str | None = None
    """The arguments as the model wrote them, when they were changed."""
    error: str | None = None
    """Why the arguments cannot be used, for the model to read; None when they can."""

    @property
    def repaired(self) -> bool:
        return self.original is not None and self.error is None


def repair_arguments(raw: Any, schema: dict[str, Any] | None) -> ArgumentRepair:
    """`raw` (an object, or the text of one) as arguments valid for `schema`."""
    if isinstance(raw, str):
        return _from_text(raw, schema)
    if isinstance(raw, dict):
        return _from_object(raw, schema)
    kind = type(raw).__name__ if raw is not None else "null"
    return ArgumentRepair({}, _dump(raw), f"the arguments are a {kind}, not a JSON object")


def _from_text(text: str, schema: dict[str, Any] | None) -> ArgumentRepair:
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        parsed = None
    else:
        if isinstance(parsed, dict):
            fixed = _from_object(parsed, schema)
            return ArgumentRepair(fixed.arguments, text if fixed.repaired else None, fixed.error)
    repaired = repair_json_text(text, "{", "}")
    if not isinstance(repaired, dict):
        why = "are not a JSON object" if parsed is not None else "are not valid JSON"
        return ArgumentRepair({}, text, f"the arguments {why} and cannot be repaired safely")
    fixed = _from_object(repaired, schema)
    problem = validation_error(fixed.arguments, schema)
    if problem is not None:
        return ArgumentRepair({}, text, f"the repaired arguments do not fit the schema: {problem}")
    return ArgumentRepair(fixed.arguments, text)


def _from_object(arguments: dict[str, Any], schema: dict[str, Any] | None) -> ArgumentRepair:
    """String values where the schema wants an array or object, decoded (when that makes
    the arguments valid); everything else as it came."""
    properties = (schema or {}).get("properties") or {}
    fixed = dict(arguments)
    for key, value in arguments.items():
        wanted = _wanted_type(properties.get(key))
        if isinstance(value, str) and wanted in ("array", "object"):
            opening, closing = ("[", "]") if wanted == "array" else ("{", "}")
            decoded = repair_json_text(value, opening, closing)
            if isinstance(decoded, list if wanted == "array" else dict):
                fixed[key] = decoded
    if fixed == arguments:
        return ArgumentRepair(arguments)
    if schema and validation_error(fixed, schema) is not None:
        return ArgumentRepair(arguments)  # the tool's own validation tells the model
    return ArgumentRepair(fixed, _dump(arguments))


def repair_json_text(text: str, opening: str, closing: str) -> Any:
    """The JSON value `text` means, or None when repairing it would be a guess."""
    body = text.strip()
    fenced = _FENCE.match(body)
    body = fenced.group(1).strip() if fenced else body
    if not (body.startswith(opening) and body.endswith(closing)):
        return None
    try:
        return json.loads(body)
    except json.JSONDecodeError:
        pass
    import json_repair

    try:
        value = json_repair.loads(body)
    except Exception:  # json-repair gave up: nothing safe to use
        return None
    if _words(body) != _words(json.dumps(value, ensure_ascii=False)):
        return None
    return value


def validation_error(arguments: dict[str, Any], schema: dict[str, Any] | None) -> str | None:
    """The first way `arguments` break `schema`, or None when they fit (or there is none)."""
    if not schema:
        return None
    from jsonschema import exceptions, validators

    cls = validators.validator_for(schema, default=validators.Draft202012Validator)
    try:
        error = next(iter(cls(schema).iter_errors(arguments)), None)
    except exceptions.SchemaError:
        return None  # a tool schema we cannot read is not the model's fault
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path)
    return f"{where}: {error.message}" if where else error.message


def _wanted_type(prop: Any) -> str | None:
    if not isinstance(prop, dict):
        return None
    kind = prop.get("type")
    if isinstance(kind, str):
        return kind
    for option in prop.get("anyOf") or []:  # Optional[list[...]]: anyOf [array, null]
        if isinstance(option, dict) and option.get("type") in ("array", "object"):
            return str(option["type"])
    return None


def _words(text: str) -> Counter[str]:
    return Counter(_PYTHON_LITERALS.get(w, w) for w in _WORD.findall(text))


def _dump(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)
