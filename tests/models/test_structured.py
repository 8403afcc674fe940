"""The one structured-output path: reply -> JSON -> schema -> the caller's type."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage
from pydantic import BaseModel

from springlet.errors import ModelError
from springlet.models.structured import (
    StructuredOutputError,
    data_of,
    json_of,
    schema_problem,
    validated,
)

SCHEMA = {
    "type": "object",
    "properties": {"items": {"type": "array", "items": {"type": "integer"}}},
    "required": ["items"],
}


class City(BaseModel):
    name: str
    population: int


def test_json_in_a_fence_or_bare_and_one_error_for_both_kinds_of_bad_answer() -> None:
    assert json_of('```json\n{"items": [1]}\n```') == {"items": [1]}
    assert json_of(' {"items": []} ') == {"items": []}
    with pytest.raises(StructuredOutputError, match="not valid JSON") as caught:
        json_of("Sure! Here it is: {items")
    assert isinstance(caught.value, ModelError) and isinstance(caught.value, ValueError)


def test_problems_are_located_for_json_schemas_and_pydantic_classes() -> None:
    assert schema_problem({"items": [1, "x"]}, SCHEMA) == "items/1: 'x' is not of type 'integer'"
    assert validated({"items": [1]}, SCHEMA) == {"items": [1]}
    assert validated({"name": "Paris", "population": 2}, City) == City(name="Paris", population=2)
    with pytest.raises(StructuredOutputError, match="population"):
        validated({"name": "Paris", "population": "many"}, City)


def test_a_reply_answers_with_its_tool_call_or_its_text() -> None:
    called = AIMessage("", tool_calls=[{"name": "answer", "args": {"items": [2]}, "id": "c1"}])
    assert data_of(called) == {"items": [2]}
    assert data_of(AIMessage('{"items": [3]}')) == {"items": [3]}
