"""The result of loading a workspace: every spec that validated, and every problem found."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from springlet.agents.spec import AgentSpec, RouterSpec
from springlet.errors import Problem
from springlet.prompts.spec import PromptSpec
from springlet.rag.spec import CollectionSpec
from springlet.settings import WorkspaceSettings
from springlet.tools.decorator import SpringletTool


@dataclass(frozen=True)
class LoadedWorkspace:
    """Specs of one workspace, as loaded from its files (pure data plus tool functions).

    `unusable` maps an agent or prompt name to the problems that keep it from running
    (its own file's errors, or an unknown / unusable thing it refers to). Everything not
    listed there can be built and run even when other files are broken.
    """

    root: Path
    settings: WorkspaceSettings
    prompts: dict[str, PromptSpec] = field(default_factory=dict)
    agents: dict[str, AgentSpec | RouterSpec] = field(default_factory=dict)
    collections: dict[str, CollectionSpec] = field(default_factory=dict)
    tools: dict[str, SpringletTool] = field(default_factory=dict)
    advisors: dict[str, Any] = field(default_factory=dict)
    """Custom advisors from tools/*.py, by the name given to `@springlet.advisor`."""
    problems: tuple[Problem, ...] = ()
    unusable: dict[str, tuple[Problem, ...]] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    """`"agent:NAME"` / `"prompt:NAME"` / `"collection:NAME"` -> the file that defines it."""

    @cached_property
    def data_dir(self) -> Path:
        """Traces, memory and indexes live here (resolved once: runs ask on every start)."""
        return (self.root / self.settings.data_dir).resolve()

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def usable_agents(self) -> list[str]:
        return sorted(name for name in self.agents if f"agent:{name}" not in self.unusable)
