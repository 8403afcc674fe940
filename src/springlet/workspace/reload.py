"""`ws.reload()`: read the workspace's files again and say what changed.

A definition that was usable and is now broken (its file fails to parse or validate,
or something it needs is broken) keeps its last good spec, so the agent or prompt goes
on running as it was while its new problems are reported. Tools of a `tools/*.py` that
no longer imports are kept the same way. Anything deleted is gone.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from springlet.errors import Problem
from springlet.workspace.loaded import LoadedWorkspace


@dataclass(frozen=True)
class ReloadReport:
    """What a reload found."""

    changed: tuple[str, ...]
    """`"agent:NAME"`, `"prompt:NAME"`, `"collection:NAME"`, `"tool:NAME"`, `"settings"`:
    added, changed or removed since the previous load."""
    problems: tuple[Problem, ...]
    """Problems the previous load did not have."""
    kept: tuple[str, ...] = ()
    """Definitions now broken that keep running as they were last loaded."""


def reload_loaded(old: LoadedWorkspace) -> tuple[LoadedWorkspace, ReloadReport]:
    """The workspace as its files are now, merged with the last good definitions."""
    from springlet.workspace.loader import load_workspace_files

    new = load_workspace_files(old.root)
    agents, kept_agents = _keep_good(old, new, "agent", old.agents, new.agents)
    prompts, kept_prompts = _keep_good(old, new, "prompt", old.prompts, new.prompts)
    tools = new.tools
    if any(p.code.startswith("python") for p in new.problems):
        tools = {**old.tools, **new.tools}  # a broken tools file keeps the tools it had
    kept = (*kept_agents, *kept_prompts)
    unusable = {key: value for key, value in new.unusable.items() if key not in kept}
    files = {**{k: v for k, v in old.files.items() if k in kept}, **new.files}
    merged = replace(
        new, agents=agents, prompts=prompts, tools=tools, unusable=unusable, files=files
    )
    report = ReloadReport(
        changed=_changed(old, new),
        problems=_new_problems(old.problems, new.problems),
        kept=tuple(sorted(kept)),
    )
    return merged, report


def _keep_good(
    old: LoadedWorkspace,
    new: LoadedWorkspace,
    kind: str,
    before: dict[str, Any],
    after: dict[str, Any],
) -> tuple[dict[str, Any], list[str]]:
    merged = dict(after)
    kept: list[str] = []
    for name, spec in before.items():
        key = f"{kind}:{name}"
        if key in old.unusable:
            continue  # it was not good before either
        broken = key in new.unusable
        unparsable = name not in after and _still_there(old.files.get(key))
        if broken or unparsable:
            merged[name] = spec
            kept.append(key)
    return merged, kept


def _still_there(path: Path | None) -> bool:
    return path is not None and path.exists()


def _changed(old: LoadedWorkspace, new: LoadedWorkspace) -> tuple[str, ...]:
    changed: list[str] = []
    for kind, before, after in (
        ("agent", old.agents, new.agents),
        ("prompt", old.prompts, new.prompts),
        ("collection", old.collections, new.collections),
    ):
        for name in sorted(set(before) | set(after)):
            if before.get(name) != after.get(name):
                changed.append(f"{kind}:{name}")
    for name in sorted(set(old.tools) | set(new.tools)):
        if _tool_key(old.tools.get(name)) != _tool_key(new.tools.get(name)):
            changed.append(f"tool:{name}")
    if old.settings != new.settings:
        changed.append("settings")
    return tuple(changed)


def _tool_key(tool: Any) -> Any:
    """What makes two loads of a tool the same: its description and compiled code."""
    if tool is None:
        return None
    code = getattr(tool.func, "__code__", None)
    return (tool.description, code.co_code if code else None, code.co_consts if code else None)


def _new_problems(before: tuple[Problem, ...], after: tuple[Problem, ...]) -> tuple[Problem, ...]:
    seen = {_problem_key(p) for p in before}
    return tuple(p for p in after if _problem_key(p) not in seen)


def _problem_key(problem: Problem) -> tuple[Any, ...]:
    loc = problem.location
    where = (str(loc.path.resolve()), loc.line, loc.col) if loc else None
    return (problem.message, problem.code, where)
