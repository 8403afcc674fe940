"""A prompt template used as an agent's tool: its typed inputs become the tool's arguments."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from langchain_core.tools import BaseTool

    from springlet.prompts.services import PromptServices


def prompt_tool(services: PromptServices, prompt_name: str, tool_name: str) -> BaseTool:
    """A tool that renders and runs prompt `prompt_name` with the model's arguments."""
    from langchain_core.tools import StructuredTool

    prompt = services.prompt(prompt_name)
    prompt.resolved()  # now, in the builder's thread: resolving may probe Ollama

    async def call(**inputs: Any) -> str:
        answer = await prompt.arun(**inputs)
        return answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False)

    return StructuredTool.from_function(
        coroutine=call,
        name=tool_name,
        description=prompt.spec.description,
        args_schema=prompt.input_schema(),
    )
