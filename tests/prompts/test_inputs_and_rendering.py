"""Typed inputs validated at render time; templates sandboxed; user values inert."""

from __future__ import annotations

import re

import pytest

from springlet.errors import PromptInputError, TemplateRenderError
from springlet.prompts.inputs import coerce_text, validate_inputs
from springlet.prompts.spec import InputSpec, PromptSpec
from springlet.prompts.template import render, template_variables, unsafe_attributes


def make_prompt(**inputs: dict[str, object]) -> PromptSpec:
    return PromptSpec.model_validate(
        {
            "name": "p",
            "description": "d",
            "input": inputs,
            "messages": [{"role": "user", "content": "x"}],
        }
    )


SUMMARIZE = make_prompt(
    text={"type": "string"},
    style={"type": "string", "default": "short", "enum": ["short", "long"]},
    max_words={"type": "integer", "default": 80, "minimum": 10},
)


def test_defaults_fill_in_and_values_pass_through() -> None:
    assert validate_inputs(SUMMARIZE, {"text": "hi"}) == {
        "text": "hi",
        "style": "short",
        "max_words": 80,
    }


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(PromptInputError) as info:
        validate_inputs(SUMMARIZE, {"style": "medium", "max_words": 5, "txt": "x"})
    message = str(info.value)
    assert "prompt 'p' has no input 'txt'; did you mean 'text'?" in message
    assert "missing required input 'text'" in message
    assert "input 'style' must be one of 'short', 'long'; got 'medium'" in message
    assert "input 'max_words' value must be at least 10; got 5" in message
    assert "declared inputs are text: string, style: string (optional)" in message


@pytest.mark.parametrize(
    ("spec", "value", "fragment"),
    [
        ({"type": "integer"}, "12", "must be an integer, got '12' (str)"),
        ({"type": "integer"}, True, "must be an integer, got True (bool)"),
        ({"type": "number"}, "1.5", "must be a number"),
        ({"type": "boolean"}, 1, "must be a boolean"),
        ({"type": "array"}, "a,b", "must be an array"),
        ({"type": "object"}, [], "must be an object"),
        ({"type": "string", "maximum": 3}, "abcd", "length must be at most 3 characters; got 4"),
        ({"type": "number", "maximum": 1}, 1.5, "value must be at most 1; got 1.5"),
        ({"type": "array", "minimum": 1}, [], "length must be at least 1 items; got 0"),
    ],
)
def test_wrong_types_and_bounds(spec: dict[str, object], value: object, fragment: str) -> None:
    prompt = make_prompt(v=spec)
    with pytest.raises(PromptInputError, match=re.escape(fragment)):
        validate_inputs(prompt, {"v": value})


def test_number_accepts_integers_and_integer_refuses_floats() -> None:
    assert validate_inputs(make_prompt(v={"type": "number"}), {"v": 3}) == {"v": 3}
    with pytest.raises(PromptInputError):
        validate_inputs(make_prompt(v={"type": "integer"}), {"v": 3.5})


def test_default_must_fit_its_own_declaration() -> None:
    with pytest.raises(ValueError, match="the default does not fit"):
        InputSpec.model_validate({"type": "integer", "default": "eighty"})
    with pytest.raises(ValueError, match="not of type integer"):
        InputSpec.model_validate({"type": "integer", "enum": [1, "two"]})


def test_command_line_values_are_coerced_by_type() -> None:
    assert coerce_text(InputSpec(type="integer"), "50") == 50
    assert coerce_text(InputSpec(type="boolean"), "yes") is True
    assert coerce_text(InputSpec(type="array"), '["a", "b"]') == ["a", "b"]
    assert coerce_text(InputSpec(type="string"), "50") == "50"


@pytest.mark.parametrize(
    "payload",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ 7 * 7 }}",
        "{% for c in ().__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
        "{{ config }}{{ self }}",
    ],
)
def test_injection_payloads_in_values_are_inert(payload: str) -> None:
    assert render("Q: {{ text }}", {"text": payload}) == f"Q: {payload}"


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ text.__class__ }}",
        "{{ text['__class__'] }}",
        "{{ items.append(1) }}",
        "{{ cycler.__init__.__globals__ }}",
    ],
)
def test_templates_cannot_reach_python_internals(template: str) -> None:
    with pytest.raises(TemplateRenderError, match=r"sandbox forbids|undefined value"):
        render(template, {"text": "x", "items": []})


def test_load_time_detection_of_unsafe_attributes() -> None:
    assert unsafe_attributes("{{ a }}\n{{ b.__class__ }}\n{{ c['_x'] }}") == [
        ("__class__", 2),
        ("_x", 3),
    ]


def test_missing_value_is_an_error_not_an_empty_string() -> None:
    with pytest.raises(TemplateRenderError, match="'name' is undefined"):
        render("Hello {{ name }}", {})


def test_builtins_are_available_and_not_reported_as_free() -> None:
    assert render("{{ today }}", {}).count("-") == 2
    assert template_variables("{{ today }} {{ x }} {% for i in range(2) %}{{ i }}{% endfor %}") == {
        "today",
        "x",
    }
