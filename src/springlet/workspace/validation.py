"""Turning pydantic validation errors into `Problem`s at the right `file:line:col`.

Each error's `loc` is a path into the document; the YAML source knows where every
path sits. Unknown keys get a "did you mean" hint from the fields the spec allows at
that spot, found by walking the spec's type annotations along the same path.
"""

from __future__ import annotations

import copy
import difflib
import types
import typing
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from springlet.errors import Problem
from springlet.yaml_source import NodePath, YamlSource

M = TypeVar("M", bound=BaseModel)


def validate_document(model: type[M], source: YamlSource, what: str) -> M | list[Problem]:
    """Validate `source.data` as `model`; on failure, every error as a located Problem."""
    spec, problems = validate_with_salvage(model, source, what)
    return problems if problems else spec  # type: ignore[return-value]


def validate_with_salvage(
    model: type[M], source: YamlSource, what: str
) -> tuple[M | None, list[Problem]]:
    """Validate, and when that fails, also return a spec built from the parts that are valid.

    The salvaged spec lets the loader go on checking templates and references of a file
    that has an unrelated mistake, so one run reports every problem at once. It is never
    used to run anything: the file still counts as broken.
    """
    if not isinstance(source.data, dict):
        got = "an empty file" if source.data is None else f"a {type(source.data).__name__}"
        return None, [
            Problem(
                f"{what} must be a mapping of keys to values, got {got}",
                source.location(),
                hint=f"start with 'name: ...'; see `springlet schema {what}`",
                code="not-a-mapping",
            )
        ]
    try:
        return model.model_validate(source.data), []
    except ValidationError as exc:
        problems = [problem_from_error(model, source, err) for err in exc.errors()]
        return _salvage(model, copy.deepcopy(source.data), exc), problems


def _salvage(model: type[M], data: dict[str, Any], exc: ValidationError) -> M | None:
    for _ in range(5):
        for err in sorted(exc.errors(), key=lambda e: [str(p) for p in e["loc"]], reverse=True):
            loc = tuple(p for p in err["loc"] if not _is_union_tag(p))
            if not _prune(model, data, loc, missing=err["type"] == "missing"):
                return None
        try:
            return model.model_validate(data)
        except ValidationError as again:
            exc = again
    return None


def _prune(model: type[BaseModel], data: dict[str, Any], loc: NodePath, *, missing: bool) -> bool:
    """Remove the broken node at `loc` (or fill a missing top-level text field)."""
    if missing and len(loc) == 1:
        field = model.model_fields.get(str(loc[0]))
        if field is not None and field.annotation is str:
            data[str(loc[0])] = ""
            return True
        return False
    target = loc[:-1] if missing else loc
    if not target:
        return False
    parent: Any = data
    for part in target[:-1]:
        try:
            parent = parent[part]
        except (KeyError, IndexError, TypeError):
            return True  # already removed by an earlier error of this round
    key = target[-1]
    if isinstance(parent, dict):
        parent.pop(key, None)
    elif isinstance(parent, list) and isinstance(key, int) and key < len(parent):
        parent.pop(key)
    return True


def problem_from_error(model: type[BaseModel], source: YamlSource, err: Any) -> Problem:
    loc: NodePath = tuple(p for p in err["loc"] if not _is_union_tag(p))
    kind = err["type"]
    message = str(err["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind == "extra_forbidden":
        key = str(loc[-1])
        allowed = allowed_keys(model, loc[:-1])
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        hint: str | None = None
        if close:
            hint = f"did you mean '{close[0]}'?"
        elif allowed:
            hint = "allowed keys here: " + ", ".join(allowed)
        return Problem(
            f"unknown key '{key}'{_where(loc[:-1])}",
            source.location(loc, key=True),
            hint=hint,
            code="unknown-key",
        )
    if kind == "missing":
        return Problem(
            f"missing required key '{loc[-1]}'{_where(loc[:-1])}",
            source.location(loc[:-1]),
            hint=f"add '{loc[-1]}: ...'",
            code="missing-key",
        )
    return Problem(
        f"{_dotted(loc)}: {message}" if loc else message,
        source.location(loc),
        code=kind,
    )


def _is_union_tag(part: Any) -> bool:
    # pydantic inserts the member type name into `loc` for union fields ("function-after[...]")
    return isinstance(part, str) and ("[" in part or part in ("str", "int", "float", "dict"))


def _where(parent: NodePath) -> str:
    return f" in '{_dotted(parent)}'" if parent else ""


def _dotted(loc: NodePath) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def allowed_keys(model: type[BaseModel], path: NodePath) -> list[str]:
    """The field names of the spec found at `path` inside `model` (empty if not a spec)."""
    target: Any = model
    for part in path:
        target = _step(target, part)
        if target is None:
            return []
    target = _spec_class(target)
    if target is None:
        return []
    return [name for name in target.model_fields if name not in ("kind",)]


def _step(annotation: Any, part: str | int) -> Any:
    cls = _spec_class(annotation)
    if cls is not None and isinstance(part, str):
        field = cls.model_fields.get(part)
        return field.annotation if field else None
    for candidate in _members(annotation):
        origin = typing.get_origin(candidate)
        args = typing.get_args(candidate)
        if isinstance(part, int) and origin in (list, tuple) and args:
            return args[0]
        if isinstance(part, str) and origin is dict and len(args) == 2:
            return args[1]
    return None


def _members(annotation: Any) -> list[Any]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _members(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [m for arg in typing.get_args(annotation) for m in _members(arg)]
    return [annotation]


def _spec_class(annotation: Any) -> type[BaseModel] | None:
    for member in _members(annotation):
        if isinstance(member, type) and issubclass(member, BaseModel):
            return member
    return None
