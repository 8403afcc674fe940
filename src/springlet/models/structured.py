"""Structured answers, the one path: a model's reply -> JSON -> checked against a schema ->
the caller's type. Every place that asks a model for an object (an agent's `output`,
`ChatClient.entity`, the embedded model's grammar-constrained JSON, the scripted model's
`with_structured_output`) reads it through these functions and fails with one error,
`StructuredOutputError`, saying what is wrong and where.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from springlet.errors import ModelError

if TYPE_CHECKING:
    from langchain_core.messages import AIMessage


class StructuredOutputError(ModelError, ValueError):
    """The model's answer is not JSON, or does not fit the schema.

    A ValueError too, like pydantic's ValidationError: code that retries on a bad answer
    catches one exception type for both."""


def schema_of(schema: dict[str, Any] | type) -> dict[str, Any]:
    """A JSON schema for a pydantic class, a TypedDict, or a JSON schema dict."""
    from pydantic import BaseModel

    if isinstance(schema, type) and issubclass(schema, BaseModel):
        return schema.model_json_schema()
    if isinstance(schema, dict) and "type" in schema:
        return schema
    from langchain_core.utils.function_calling import convert_to_json_schema

    return dict(convert_to_json_schema(schema))


def json_of(text: str) -> Any:
    """The JSON in an answer's text (a ```json fence around it is allowed)."""
    body = text.strip().removeprefix("```json").removeprefix("```").removesuffix("```").strip()
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        raise StructuredOutputError(
            f"it is not valid JSON ({exc.msg} at char {exc.pos}): {body[:80]!r}"
        ) from None


def data_of(reply: AIMessage) -> Any:
    """What a reply answers: its first tool call's arguments, else the JSON of its text."""
    if reply.tool_calls:
        return reply.tool_calls[0]["args"]
    content = reply.content
    return json_of(content if isinstance(content, str) else reply.text)


def schema_problem(value: Any, schema: dict[str, Any]) -> str | None:
    """What is wrong with `value` for a JSON schema, located (`items/0/name: ...`); None
    when it fits."""
    from jsonschema import Draft202012Validator

    if hasattr(value, "model_dump"):
        value = value.model_dump()
    errors = sorted(Draft202012Validator(schema).iter_errors(value), key=str)
    if not errors:
        return None
    where = "/".join(str(p) for p in errors[0].absolute_path)
    return f"{where}: {errors[0].message}" if where else errors[0].message


def validated(data: Any, schema: dict[str, Any] | type) -> Any:
    """`data` checked against `schema`: the data itself for a JSON schema, an instance for
    a pydantic class; `StructuredOutputError` saying what does not fit."""
    from pydantic import BaseModel, ValidationError

    if isinstance(schema, type) and issubclass(schema, BaseModel):
        try:
            return schema.model_validate(data)
        except ValidationError as exc:
            raise StructuredOutputError(_first_pydantic_error(exc)) from None
    problem = schema_problem(data, schema if isinstance(schema, dict) else schema_of(schema))
    if problem is not None:
        raise StructuredOutputError(problem)
    return data


def _first_pydantic_error(exc: Any) -> str:
    first = exc.errors()[0]
    where = "/".join(str(p) for p in first.get("loc", ()))
    return f"{where}: {first['msg']}" if where else str(first["msg"])
