"""Loading a workspace directory into specs, collecting every problem in one pass.

A broken file never stops the others: each file is parsed and validated on its own,
then cross-references are checked, and whatever is still sound stays usable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from springlet.agents.spec import AgentSpec, RouterSpec
from springlet.errors import Location, Problem
from springlet.prompts.checks import check_agent_cases, check_prompt_cases, check_template
from springlet.prompts.spec import PromptSpec
from springlet.rag.spec import CollectionSpec
from springlet.settings import WorkspaceSettings
from springlet.tools.discovery import DiscoveredTools, discover_tools
from springlet.workspace.loaded import LoadedWorkspace
from springlet.workspace.references import check_references
from springlet.workspace.settings_file import SETTINGS_FILE, read_settings
from springlet.workspace.validation import validate_with_salvage
from springlet.yaml_source import YamlSource, load_yaml

YAML_SUFFIXES = (".yaml", ".yml")


@dataclass
class Definition:
    """A named spec and the file (and parsed source) it came from."""

    spec: Any
    source: YamlSource
    node: tuple[str | int, ...] = ()

    @property
    def location(self) -> Location:
        return self.source.location((*self.node, "name"))


@dataclass
class LoadState:
    """Everything gathered while loading, before it is frozen into a LoadedWorkspace."""

    root: Path
    display_root: Path
    problems: list[Problem] = field(default_factory=list)
    file_problems: dict[Path, list[Problem]] = field(default_factory=dict)
    texts: Mapping[Path, str] = field(default_factory=dict)
    """Unsaved buffers to read instead of the files at these (resolved) paths."""
    prompts: dict[str, Definition] = field(default_factory=dict)
    agents: dict[str, Definition] = field(default_factory=dict)
    collections: dict[str, Definition] = field(default_factory=dict)
    broken: dict[str, list[Problem]] = field(default_factory=dict)
    """`"agent:NAME"` -> problems of a definition whose file has errors (so it can't run)."""
    mcp_servers: set[str] = field(default_factory=set)
    """The names under `mcp_servers:` in springlet.yaml (a broken entry's name too)."""

    def mark_broken(self, kind: str, source: YamlSource, problems: list[Problem]) -> None:
        name = source.data.get("name") if isinstance(source.data, dict) else None
        if isinstance(name, str) and problems:
            self.broken.setdefault(f"{kind}:{name}", []).extend(problems)

    def report(self, problems: list[Problem], path: Path) -> None:
        self.problems.extend(problems)
        self.file_problems.setdefault(path, []).extend(problems)


def load_workspace_files(
    root: Path,
    *,
    texts: Mapping[Path, str] | None = None,
    tools: DiscoveredTools | None = None,
) -> LoadedWorkspace:
    """Load the workspace at `root`. Never raises for problems in the user's files.
    `texts` replaces the content of files (resolved paths) with unsaved buffers, and
    `tools` reuses tools already imported (both for validating a buffer in an editor)."""
    display_root = root
    root = root.expanduser()
    state = LoadState(root=root, display_root=display_root, texts=dict(texts or {}))
    if not root.is_dir():
        from springlet.errors import WorkspaceError

        raise WorkspaceError(
            f"workspace directory {display_root} does not exist",
            [
                Problem(
                    "no such directory",
                    Location(display_root),
                    hint="pass -w DIR, set SPRINGLET_WORKSPACE, or run `springlet init DIR`",
                )
            ],
        )
    settings = _load_settings(state)
    for path, source in _yaml_files(state, "prompts"):
        _load_prompt(state, source, path)
    for path, source in _yaml_files(state, "agents"):
        _load_agent(state, source, path)
    for path, source in _yaml_files(state, "knowledge"):
        _load_collection(state, source, path, ())
    if tools is None:
        tools = discover_tools(root, display_root)
    state.problems.extend(tools.problems)
    unusable = check_references(state, tools)
    return LoadedWorkspace(
        root=root.resolve(),
        settings=settings,
        prompts={n: d.spec for n, d in state.prompts.items()},
        agents={n: d.spec for n, d in state.agents.items()},
        collections={n: d.spec for n, d in state.collections.items()},
        tools=tools.tools,
        advisors=tools.advisors,
        problems=tuple(sorted(state.problems, key=_problem_order)),
        unusable=unusable,
        files={
            **{f"prompt:{n}": d.source.path for n, d in state.prompts.items()},
            **{f"agent:{n}": d.source.path for n, d in state.agents.items()},
            **{f"collection:{n}": d.source.path for n, d in state.collections.items()},
        },
    )


def _problem_order(problem: Problem) -> tuple[str, int, int]:
    loc = problem.location
    return (str(loc.path), loc.line, loc.col) if loc else ("", 0, 0)


def _yaml_files(state: LoadState, folder: str) -> list[tuple[Path, YamlSource]]:
    directory = state.root / folder
    unsaved = [p for p in state.texts if p.parent == directory.resolve() and not p.exists()]
    if not directory.is_dir() and not unsaved:
        return []
    on_disk = list(directory.iterdir()) if directory.is_dir() else []
    out = []
    for path in sorted(p for p in [*on_disk, *unsaved] if p.suffix in YAML_SUFFIXES):
        shown = state.display_root / folder / path.name
        source = load_yaml(path, shown, text=state.texts.get(path.resolve()))
        if isinstance(source, Problem):
            state.report([source], shown)
            continue
        out.append((shown, source))
    return out


def _load_settings(state: LoadState) -> WorkspaceSettings:
    settings_text = state.texts.get((state.root / SETTINGS_FILE).resolve())
    read = read_settings(state.root, state.display_root, text=settings_text)
    if read.source is not None and isinstance(read.source.data, dict):
        declared = read.source.data.get("mcp_servers")
        state.mcp_servers = {str(k) for k in declared} if isinstance(declared, dict) else set()
    if read.problems:
        state.report(read.problems, state.display_root / SETTINGS_FILE)
    elif read.source is not None:
        for index, collection in enumerate(read.settings.collections):
            node = ("collections", index)
            _register(state, "collection", state.collections, collection, read.source, node)
    return read.settings


def _load_prompt(state: LoadState, source: YamlSource, path: Path) -> None:
    result, problems = validate_with_salvage(PromptSpec, source, "prompt")
    if result is None:
        state.report(problems, path)
        state.mark_broken("prompt", source, problems)
        return
    # Inputs whose own declaration is broken still count as declared for the templates.
    raw_inputs = source.data.get("input") if isinstance(source.data, dict) else None
    declared = set(raw_inputs) if isinstance(raw_inputs, dict) else set(result.input)
    used: set[str] = set()
    for index, message in enumerate(result.messages):
        node = ("messages", _original_index(source, "messages", message.content, index), "content")
        found, template_problems = check_template(
            source, node, message.content, declared, f"prompt '{result.name}'"
        )
        used |= found
        problems += template_problems
    if not any(p.code == "template-syntax" for p in problems):
        for name in result.input:
            if name not in used:
                problems.append(
                    Problem(
                        f"input '{name}' is declared but no message of prompt "
                        f"'{result.name}' uses it",
                        source.location(("input", name), key=True),
                        hint=f"use '{{{{ {name} }}}}' in a message or remove the input",
                        code="unused-input",
                    )
                )
    problems += check_prompt_cases(source, result.input, f"prompt '{result.name}'")
    state.report(problems, path)
    state.mark_broken("prompt", source, problems)
    _register(state, "prompt", state.prompts, result, source, ())


def _load_agent(state: LoadState, source: YamlSource, path: Path) -> None:
    data = source.data
    is_router = isinstance(data, dict) and data.get("kind") == "router"
    spec_cls: type[AgentSpec] | type[RouterSpec] = RouterSpec if is_router else AgentSpec
    result, problems = validate_with_salvage(spec_cls, source, "agent")
    if result is not None and isinstance(result, AgentSpec):
        _, template_problems = check_template(
            source, ("instructions",), result.instructions, (), f"agent '{result.name}'"
        )
        problems += template_problems
    if result is not None:
        problems += check_agent_cases(source, f"{result.kind} '{result.name}'")
    state.report(problems, path)
    state.mark_broken("agent", source, problems)
    if result is None:
        return
    _register(state, "agent", state.agents, result, source, ())


def _original_index(source: YamlSource, key: str, content: str, fallback: int) -> int:
    """Where a (possibly salvaged) list item sits in the file, found by its content."""
    items = source.data.get(key) if isinstance(source.data, dict) else None
    if isinstance(items, list):
        for index, item in enumerate(items):
            if isinstance(item, dict) and item.get("content") == content:
                return index
    return fallback


def _load_collection(
    state: LoadState, source: YamlSource, path: Path, node: tuple[str | int, ...]
) -> None:
    result, problems = validate_with_salvage(CollectionSpec, source, "collection")
    state.report(problems, path)
    state.mark_broken("collection", source, problems)
    if result is None:
        return
    _register(state, "collection", state.collections, result, source, node)


def _register(
    state: LoadState,
    kind: str,
    table: dict[str, Definition],
    spec: Any,
    source: YamlSource,
    node: tuple[str | int, ...],
) -> None:
    definition = Definition(spec, source, node)
    existing = table.get(spec.name)
    if existing is not None:
        state.report(
            [
                Problem(
                    f"duplicate {kind} name '{spec.name}' (first defined at {existing.location})",
                    definition.location,
                    hint=f"{kind} names must be unique in a workspace; rename one",
                    code="duplicate-name",
                )
            ],
            source.path,
        )
        return
    table[spec.name] = definition
