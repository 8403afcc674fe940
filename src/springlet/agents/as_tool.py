"""An agent used as another agent's tool: the sub-agent runs its own run per call."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from langchain_core.tools import BaseTool

    from springlet.agents.services import AgentServices


class AgentToolInput(BaseModel):
    message: str = Field(description="What to ask or tell the agent, in full sentences.")


def agent_tool(services: AgentServices, agent_name: str, tool_name: str) -> BaseTool:
    """A tool that asks agent `agent_name` and returns its answer."""
    from langchain_core.tools import StructuredTool

    sub = services.agent(agent_name)  # built now: building inside a run would block its loop

    async def ask(message: str) -> str:
        result = await sub.arun(message)
        if not result.ok:
            return f"Error: agent '{agent_name}' could not answer: {result.error or result.status}"
        return result.text

    return StructuredTool.from_function(
        coroutine=ask,
        name=tool_name,
        description=services.agent_spec(agent_name).description,
        args_schema=AgentToolInput,
    )
