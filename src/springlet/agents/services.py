"""What building and running an agent needs from its workspace: the one seam between
`agents/` and whoever holds the agents (a `Workspace` implements it).

Agents are built against this protocol, so `agents/` never imports `workspace/` and
nothing here can reach for a workspace's internals by a string key. Every method is safe
to call from any thread; none of them may be called on the runtime loop while it could
block (building happens in the caller's thread, before a run).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from springlet.prompts.services import PromptServices

if TYPE_CHECKING:
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    from springlet.agents.runnable import RunnableAgent
    from springlet.agents.spec import AgentSpec, RouterSpec
    from springlet.prompts.spec import PromptSpec
    from springlet.rag.retriever import Retriever
    from springlet.tools.decorator import SpringletTool
    from springlet.tools.mcp_toolset import McpToolset


class Retrievers(Protocol):
    """The knowledge collections an agent may retrieve from, by name."""

    def retriever(self, name: str) -> Retriever:
        """A retriever over collection `name` (fails clearly when it cannot be searched)."""
        ...


class AgentServices(PromptServices, Protocol):
    """Specs, tools, advisors, the other agents, and the per-workspace resources."""

    def agent_spec(self, name: str) -> AgentSpec | RouterSpec:
        """The loaded spec of agent `name`."""
        ...

    def prompt_spec(self, name: str) -> PromptSpec:
        """The loaded spec of prompt `name` (for `output: {prompt: NAME}`)."""
        ...

    def python_tool(self, name: str) -> SpringletTool:
        """The `@tool` function `name` found in tools/*.py."""
        ...

    def advisor_factory(self, name: str) -> Callable[..., Any] | None:
        """The `@advisor` factory `name` found in tools/*.py, if any."""
        ...

    def agent(self, name: str) -> RunnableAgent:
        """The runnable agent `name` (built once): for agent-as-tool and routes."""
        ...

    def memory(self) -> AsyncSqliteSaver:
        """The conversation memory checkpointer (opened once, on the runtime loop)."""
        ...

    def retrievers(self) -> Retrievers:
        """The workspace's knowledge collections."""
        ...

    def mcp_toolset(self, server: str) -> McpToolset:
        """MCP server `server` of `mcp_servers:` (started on first use, shared by the
        workspace's agents) and the tools it lists."""
        ...
