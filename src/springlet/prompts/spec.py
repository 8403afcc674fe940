"""The prompt template spec: `prompts/<name>.yaml` as validated data."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from springlet.models.options import ModelOptions
from springlet.models.reference import ModelReference
from springlet.models.thinking import ThinkSetting
from springlet.spec_base import Spec

InputType = Literal["string", "integer", "number", "boolean", "array", "object"]

_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


def value_has_type(value: Any, type_name: str) -> bool:
    """True when `value` is a JSON value of the given input type (booleans are not numbers)."""
    if isinstance(value, bool) and type_name in ("integer", "number"):
        return False
    return isinstance(value, _PYTHON_TYPES[type_name])


class InputSpec(Spec):
    """One typed input of a prompt template."""

    type: InputType = "string"
    description: str | None = None
    default: Any = None
    enum: list[Any] | None = None
    minimum: float | None = None
    """Smallest allowed value (integer, number) or length (string, array)."""
    maximum: float | None = None
    """Largest allowed value (integer, number) or length (string, array)."""

    @property
    def required(self) -> bool:
        return "default" not in self.model_fields_set

    @model_validator(mode="after")
    def _check_consistency(self) -> InputSpec:
        if self.enum is not None:
            bad = [v for v in self.enum if not value_has_type(v, self.type)]
            if bad:
                raise ValueError(f"enum values {bad!r} are not of type {self.type}")
        if (self.minimum is not None or self.maximum is not None) and self.type in (
            "boolean",
            "object",
        ):
            raise ValueError(f"minimum/maximum do not apply to type {self.type}")
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError(f"minimum {self.minimum} is greater than maximum {self.maximum}")
        if not self.required:
            from springlet.prompts.inputs import check_value

            problem = check_value("default", self, self.default)
            if problem:
                raise ValueError(f"the default does not fit: {problem}")
        return self


class MessageSpec(Spec):
    """One message of a prompt; `content` is a Jinja2 template."""

    role: Literal["system", "user", "assistant"]
    content: str


class ExpectSpec(Spec):
    """What a `tests:` case expects of the answer."""

    contains: list[str] = Field(default_factory=list)
    not_contains: list[str] = Field(default_factory=list)
    equals: str | None = None
    matches: str | None = None
    """A regular expression the answer must match (re.search)."""
    fields: dict[str, Any] = Field(default_factory=dict)
    """For structured output: fields the answer object must have, with these values."""

    @field_validator("matches")
    @classmethod
    def _matches_is_a_regex(cls, value: str | None) -> str | None:
        if value is not None:
            import re

            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from None
        return value


class PromptTestCase(Spec):
    """A case run by `springlet test`."""

    name: str | None = None
    input: dict[str, Any] = Field(default_factory=dict)
    expect: ExpectSpec = Field(default_factory=ExpectSpec)


class PromptSpec(Spec):
    """A reusable prompt template with typed inputs (`prompts/<name>.yaml`)."""

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_.-]*$")
    description: str
    input: dict[str, InputSpec] = Field(default_factory=dict)
    model: ModelReference | None = None
    options: ModelOptions = Field(default_factory=ModelOptions)
    think: ThinkSetting = None
    """Thinking for models that can (Ollama capability "thinking"): true, false, or a level."""
    messages: list[MessageSpec] = Field(min_length=1)
    output: dict[str, Any] | None = None
    """JSON Schema of a structured answer."""
    tests: list[PromptTestCase] = Field(default_factory=list)

    @field_validator("input")
    @classmethod
    def _input_names_are_identifiers(cls, value: dict[str, InputSpec]) -> dict[str, InputSpec]:
        for key in value:
            if not key.isidentifier():
                raise ValueError(f"input name {key!r} is not a valid template variable name")
        return value

    @field_validator("output")
    @classmethod
    def _output_is_schema(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            from springlet.jsonschema_check import check_json_schema

            check_json_schema(value)
        return value
