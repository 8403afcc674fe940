"""`ws.describe_agent(name)`: what an agent is, without building it or loading a model.

The model is named as the run would resolve it; only `auto` asks anything, and that is
the probe `auto` caches for the process (one short `/api/version`, once per host).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from springlet.agents.spec import AgentSpec, MemoryOptions, RouterSpec
from springlet.workspace.loaded import LoadedWorkspace


@dataclass(frozen=True)
class AgentInfo:
    """An agent (or router) as a list or a header shows it."""

    name: str
    description: str
    model: str
    model_reason: str
    tools: tuple[str, ...]
    """Its tools (Python tools, prompts and agents used as tools, `mcp: SERVER`s), then
    its collections searched as tools."""
    has_memory: bool
    kind: Literal["agent", "router"]


def describe_agent(loaded: LoadedWorkspace, spec: AgentSpec | RouterSpec) -> AgentInfo:
    ref = spec.model or loaded.settings.default_model
    model, reason = str(ref), f"{ref} as configured"
    if ref.provider == "auto":
        from springlet.models.resolve import choose_auto

        choice = choose_auto(loaded.settings)
        model, reason = str(choice.ref), choice.reason
    elif ref.provider == "ollama":
        from springlet.models.ollama_catalog import ollama_host

        reason = f"{ref} at {ollama_host(loaded.settings)}"
    if isinstance(spec, RouterSpec):
        routes = tuple(route.agent for route in spec.routes)
        return AgentInfo(spec.name, spec.description, model, reason, routes, False, "router")
    from springlet.agents.retrieval_advisor import tool_name

    # an MCP server's tools are known once it runs: it is named as the entry is written
    tools = [str(ref) if ref.kind == "mcp" else ref.name for ref in spec.tools]
    tools += [tool_name(k.collection) for k in spec.knowledge if k.mode != "advisor"]
    memory = any(isinstance(a.memory, MemoryOptions) for a in spec.advisors)
    return AgentInfo(spec.name, spec.description, model, reason, tuple(tools), memory, "agent")
