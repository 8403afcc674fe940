"""Cross-reference checks: every name an agent mentions must exist and be usable.

Checked here: an agent's tools (Python tools, prompts, sub-agents), collections,
advisors and approval lists; a router's routes and fallback; cycles of agents that
call each other; an `output: {prompt: NAME}` that names a prompt with an output.
The result says which agents and prompts can run despite problems elsewhere.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import TYPE_CHECKING

from springlet.agents.spec import BUILTIN_ADVISORS, AgentSpec, RouterSpec
from springlet.errors import Location, Problem

if TYPE_CHECKING:
    from springlet.tools.discovery import DiscoveredTools
    from springlet.workspace.loader import Definition, LoadState


def check_references(state: LoadState, tools: DiscoveredTools) -> dict[str, tuple[Problem, ...]]:
    """Append reference problems to `state.problems`; return what cannot run, and why."""
    blockers: dict[str, list[Problem]] = {key: list(v) for key, v in state.broken.items()}
    tool_files_broken = any(p.code.startswith("python") for p in tools.problems)
    for name, definition in state.agents.items():
        checker = _AgentChecker(state, tools, definition, tool_files_broken)
        problems = checker.check()
        state.problems.extend(problems)
        if problems:
            blockers.setdefault(f"agent:{name}", []).extend(problems)
    for problem in _cycles(state):
        state.problems.append(problem)
    _propagate(state, blockers)
    return {key: tuple(value) for key, value in blockers.items()}


class _AgentChecker:
    def __init__(
        self,
        state: LoadState,
        tools: DiscoveredTools,
        definition: Definition,
        tool_files_broken: bool,
    ) -> None:
        self.state = state
        self.tools = tools
        self.definition = definition
        self.tool_files_broken = tool_files_broken
        self.problems: list[Problem] = []

    def at(self, *node: str | int) -> Location:
        return self.definition.source.location(node)

    def check(self) -> list[Problem]:
        spec = self.definition.spec
        if isinstance(spec, RouterSpec):
            self._check_router(spec)
        else:
            self._check_agent(spec)
        return self.problems

    def _unknown(
        self, kind: str, name: str, known: Iterable[str], where: Location, extra: str = ""
    ) -> None:
        close = difflib.get_close_matches(name, list(known), n=1)
        if close:
            hint = f"did you mean '{close[0]}'?"
        else:
            listed = ", ".join(sorted(known)) or "none"
            hint = f"known {kind}s: {listed}"
        self.problems.append(
            Problem(
                f"unknown {kind} '{name}'{extra}",
                where,
                hint=hint,
                code=f"unknown-{kind.replace(' ', '-')}",
            )
        )

    def _check_agent(self, spec: AgentSpec) -> None:
        tool_names: set[str] = set()
        for index, ref in enumerate(spec.tools):
            where = self.at("tools", index)
            tool_names.add(ref.name)
            if ref.kind == "python" and ref.name not in self.tools.tools:
                extra = (
                    " (a file in tools/ failed to import; see above)"
                    if (self.tool_files_broken)
                    else ""
                )
                self._unknown("tool", ref.name, self.tools.tools, where, extra)
            elif ref.kind == "mcp":
                self._check_mcp(ref.name, ref.include, ref.exclude, where)
            elif ref.kind == "prompt" and ref.name not in self.state.prompts:
                self._unknown("prompt", ref.name, self.state.prompts, where)
            elif ref.kind == "agent":
                if ref.name == spec.name:
                    self.problems.append(
                        Problem(
                            f"agent '{spec.name}' lists itself as a tool",
                            where,
                            hint="an agent cannot call itself; remove this entry",
                            code="agent-cycle",
                        )
                    )
                elif ref.name not in self.state.agents:
                    self._unknown("agent", ref.name, self.state.agents, where)
        for index, knowledge in enumerate(spec.knowledge):
            if knowledge.collection not in self.state.collections:
                where = self.at("knowledge", index, "collection")
                self._unknown("collection", knowledge.collection, self.state.collections, where)
        self._check_advisors(spec, tool_names)
        self._check_output(spec)

    def _check_mcp(
        self, name: str, include: list[str], exclude: list[str], where: Location
    ) -> None:
        if name not in self.state.mcp_servers:
            self._unknown(
                "MCP server", name, self.state.mcp_servers, where, " (not under mcp_servers:)"
            )
        both = sorted(set(include) & set(exclude))
        if both:
            self.problems.append(
                Problem(
                    f"'{both[0]}' is both included and excluded",
                    where,
                    hint="list a tool under include or exclude, not both",
                    code="mcp-include-exclude",
                )
            )

    def _check_advisors(self, spec: AgentSpec, tool_names: set[str]) -> None:
        known = sorted(set(BUILTIN_ADVISORS) | set(self.tools.advisors))
        seen: set[str] = set()
        for index, advisor in enumerate(spec.advisors):
            where = self.at("advisors", index)
            if advisor.name not in known:
                self._unknown("advisor", advisor.name, known, where)
            if advisor.name in seen:
                self.problems.append(
                    Problem(
                        f"advisor '{advisor.name}' is listed twice",
                        where,
                        hint="list each advisor once",
                        code="duplicate-advisor",
                    )
                )
            seen.add(advisor.name)
            if advisor.approval is not None:
                for t_index, tool in enumerate(advisor.approval.tools):
                    if tool not in tool_names and not _maybe_mcp_tool(spec, tool):
                        self._unknown(
                            "tool",
                            tool,
                            tool_names,
                            self.at("advisors", index, "approval", "tools", t_index),
                            f" in approval (agent '{spec.name}' does not list it under tools)",
                        )

    def _check_output(self, spec: AgentSpec) -> None:
        if spec.output is None or set(spec.output) != {"prompt"}:
            return
        name = spec.output["prompt"]
        prompt = self.state.prompts.get(name)
        if prompt is None:
            self._unknown("prompt", str(name), self.state.prompts, self.at("output", "prompt"))
        elif prompt.spec.output is None:
            self.problems.append(
                Problem(
                    f"prompt '{name}' has no output schema to reuse",
                    self.at("output", "prompt"),
                    hint=f"add 'output:' to prompt '{name}' or write the JSON Schema here",
                    code="no-output",
                )
            )

    def _check_router(self, spec: RouterSpec) -> None:
        for index, route in enumerate(spec.routes):
            if route.agent not in self.state.agents:
                where = self.at("routes", index, "agent")
                self._unknown("agent", route.agent, self.state.agents, where)
        if spec.fallback is not None and spec.fallback not in self.state.agents:
            self._unknown("agent", spec.fallback, self.state.agents, self.at("fallback"))


def _maybe_mcp_tool(spec: AgentSpec, tool: str) -> bool:
    """An MCP server's tools are known only once it runs: a name under one of the agent's
    MCP prefixes (any name, when a server is used without prefix) may be one of them."""
    return any(ref.kind == "mcp" and tool.startswith(ref.prefix) for ref in spec.tools)


def _edges(state: LoadState) -> dict[str, list[tuple[str, tuple[str | int, ...]]]]:
    """Agent -> the agents it calls (as tools or routes), with where that is written."""
    graph: dict[str, list[tuple[str, tuple[str | int, ...]]]] = {}
    for name, definition in state.agents.items():
        spec = definition.spec
        out: list[tuple[str, tuple[str | int, ...]]] = []
        if isinstance(spec, AgentSpec):
            out = [
                (ref.name, ("tools", i))
                for i, ref in enumerate(spec.tools)
                if ref.kind == "agent" and ref.name != name and ref.name in state.agents
            ]
        else:
            out = [
                (route.agent, ("routes", i, "agent"))
                for i, route in enumerate(spec.routes)
                if route.agent in state.agents and route.agent != name
            ]
        graph[name] = out
    return graph


def _cycles(state: LoadState) -> list[Problem]:
    """One problem per cycle, reported at the first hop from its alphabetically first agent."""
    graph = _edges(state)
    problems: list[Problem] = []
    reported: set[frozenset[str]] = set()
    for start in sorted(graph):
        # (current agent, path so far, where `start` names the first hop)
        stack = [(target, [start, target], where) for target, where in graph[start]]
        while stack:
            node, path, first_hop = stack.pop()
            for target, _ in graph.get(node, []):
                if target == start and frozenset(path) not in reported:
                    reported.add(frozenset(path))
                    problems.append(
                        Problem(
                            f"agents call each other in a cycle: {' -> '.join([*path, start])}",
                            state.agents[start].source.location(first_hop),
                            hint="a run would never end; remove one of these agent tools",
                            code="agent-cycle",
                        )
                    )
                elif target not in path:
                    stack.append((target, [*path, target], first_hop))
    return problems


def _propagate(state: LoadState, blockers: dict[str, list[Problem]]) -> None:
    """An agent that calls an unusable agent, prompt or cycle member is unusable too."""
    graph = _edges(state)
    cyclic = {
        name
        for problem in state.problems
        if problem.code == "agent-cycle"
        for name in problem.message.split(": ", 1)[-1].split(" -> ")
    }
    for name in cyclic & set(state.agents):
        blockers.setdefault(f"agent:{name}", []).append(
            Problem(f"agent '{name}' is part of a cycle of agents calling each other")
        )
    changed = True
    while changed:
        changed = False
        for name, definition in state.agents.items():
            key = f"agent:{name}"
            if key in blockers:
                continue
            deps = [f"agent:{t}" for t, _ in graph.get(name, [])]
            spec = definition.spec
            if isinstance(spec, AgentSpec):
                deps += [f"prompt:{r.name}" for r in spec.tools if r.kind == "prompt"]
                deps += [f"collection:{k.collection}" for k in spec.knowledge]
            bad = [d for d in deps if d in blockers]
            if bad:
                blockers[key] = [
                    Problem(f"agent '{name}' uses {d.replace(':', ' ')!s}, which has errors")
                    for d in bad
                ]
                changed = True
