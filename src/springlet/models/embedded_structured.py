"""Structured output for the embedded model: schemas in, validated objects out.

The JSON itself is produced under a grammar (see `embedded_decoding`); this module
turns the ways LangChain and OpenAI spell a schema into one JSON schema, checks what
came back against it, and parses it into the caller's type.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
from langchain_core.runnables import Runnable, RunnableMap, RunnablePassthrough
from pydantic import BaseModel

from springlet.models.structured import (
    StructuredOutputError as StructuredOutputError,
)
from springlet.models.structured import schema_of as schema_of
from springlet.models.structured import schema_problem

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel


def response_format_schema(response_format: Any) -> dict[str, Any] | None:
    """The JSON schema in a bound `response_format`, in any of the spellings in use:
    OpenAI's `{"type": "json_schema", "json_schema": {"schema": ...}}`, the flatter
    `{"type": "json_schema", "schema": ...}`, or a bare JSON schema (Ollama's `format`)."""
    if response_format is None:
        return None
    if isinstance(response_format, type):
        return schema_of(response_format)
    if not isinstance(response_format, dict):
        raise TypeError(f"response_format must be a dict or a type, got {response_format!r}")
    if response_format.get("type") == "json_schema":
        inner = response_format.get("json_schema", response_format)
        schema = inner.get("schema")
        if not isinstance(schema, dict):
            raise TypeError("response_format of type json_schema has no 'schema'")
        return schema
    if response_format.get("type") == "json_object":
        return {"type": "object"}
    return response_format


def validated_json(text: str, schema: dict[str, Any], *, what: str) -> Any:
    """`text` parsed as JSON and validated against `schema`, or `StructuredOutputError`
    with the fix that fits a grammar-constrained small model."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise StructuredOutputError(
            f"the embedded model's JSON for {what} is incomplete ({error.msg}): {text[:200]!r}",
            hint="raise num_predict, or simplify the schema (fewer or shorter fields)",
        ) from error
    problem = schema_problem(value, schema)
    if problem is not None:
        raise StructuredOutputError(
            f"the embedded model's JSON for {what} does not match the schema: {problem}",
            hint="simplify the schema, or use a larger model",
        )
    return value


def structured_output_runnable(
    model: BaseChatModel, schema: dict[str, Any] | type, *, include_raw: bool
) -> Runnable[Any, Any]:
    """`model` bound to answer in `schema`'s JSON, piped into the matching parser."""
    json_schema = schema_of(schema)
    bound = model.bind(
        response_format={"type": "json_schema", "json_schema": {"schema": json_schema}},
        ls_structured_output_format={"kwargs": {"method": "json_schema"}, "schema": json_schema},
    )
    parser: Runnable[Any, Any]
    if isinstance(schema, type) and issubclass(schema, BaseModel):
        parser = PydanticOutputParser(pydantic_object=schema)
    else:
        parser = JsonOutputParser()
    if not include_raw:
        return bound | parser

    parsed = RunnablePassthrough.assign(
        parsed=lambda state: parser.invoke(state["raw"]), parsing_error=lambda _: None
    ).with_fallbacks(
        # the fallback receives the error under `parsing_error` and keeps it
        [RunnablePassthrough.assign(parsed=lambda _: None)],
        exception_key="parsing_error",
    )
    return RunnableMap(raw=bound) | parsed
