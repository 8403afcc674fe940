"""Checking that a user-written JSON Schema (a structured `output:`) is itself valid."""

from __future__ import annotations

from typing import Any


def check_json_schema(schema: dict[str, Any]) -> None:
    """Raise ValueError naming the first thing wrong with `schema`."""
    from jsonschema import exceptions, validators

    cls = validators.validator_for(schema, default=validators.Draft202012Validator)
    try:
        cls.check_schema(schema)
    except exceptions.SchemaError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(top level)"
        raise ValueError(f"output is not a valid JSON Schema at {where}: {exc.message}") from None
    if "type" not in schema and "properties" not in schema and "enum" not in schema:
        raise ValueError("output must be a JSON Schema such as {type: object, properties: {...}}")
