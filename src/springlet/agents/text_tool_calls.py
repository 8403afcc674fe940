"""Tool calls that a model wrote as text instead of through the tool-calling API.

Small local models often answer `<tool_call>{"name": ..., "arguments": ...}</tool_call>`
(the Hermes/Qwen convention), or a bare JSON object naming a tool, as plain text. Shown
to the user, that reads as gibberish; so `TextToolCalls` turns such an answer into a
real tool call, which the agent then executes (or, for an unknown tool, answers with an
error the model can act on).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from langchain.agents.middleware import AgentMiddleware, AgentState, ModelRequest, ModelResponse
from langchain_core.messages import AIMessage, BaseMessage, ToolCall

ModelHandler = Callable[[ModelRequest], Awaitable[ModelResponse]]

_TAGGED = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.DOTALL)
_FENCED = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)
_NAME_KEYS = ("name", "tool", "tool_name", "function")
_ARGUMENT_KEYS = ("arguments", "args", "parameters", "input")


def text_tool_calls(text: str, tool_names: Iterable[str]) -> list[ToolCall]:
    """The tool calls written in `text`: every `<tool_call>` block, or the whole text
    when it is one JSON object naming one of `tool_names`. Empty when there are none."""
    known = set(tool_names)
    stripped = text.strip()
    if "<tool_call>" in stripped:
        calls = [_as_call(_load(block), known, tagged=True) for block in _TAGGED.findall(stripped)]
        return [c for c in calls if c is not None]
    fenced = _FENCED.match(stripped)
    body = fenced.group(1) if fenced else stripped
    if not body.startswith("{"):
        return []
    call = _as_call(_load(body), known, tagged=False)
    return [call] if call is not None else []


def as_tool_call_message(message: AIMessage, tool_names: Iterable[str]) -> AIMessage | None:
    """`message` rewritten with its text tool calls as real ones; None when it has none."""
    if message.tool_calls or not isinstance(message.content, str):
        return None
    calls = text_tool_calls(message.content, tool_names)
    if not calls:
        return None
    return AIMessage(
        content="",
        tool_calls=calls,
        id=message.id,
        usage_metadata=message.usage_metadata,
        response_metadata=message.response_metadata,
    )


class TextToolCalls(AgentMiddleware[AgentState[Any], Any]):
    """Turn tool calls written as text into real tool calls before the agent acts."""

    def __init__(self, tool_names: Iterable[str]) -> None:
        super().__init__()
        self.tool_names = tuple(tool_names)

    async def awrap_model_call(self, request: ModelRequest, handler: ModelHandler) -> Any:
        response = await handler(request)
        return rewrite_response(response, self.tool_names)


def rewrite_response(response: ModelResponse, tool_names: Iterable[str]) -> ModelResponse:
    """`response` with a text tool call in its last AI message made real."""
    messages: list[BaseMessage] = list(response.result)
    if not messages or not isinstance(messages[-1], AIMessage):
        return response
    rewritten = as_tool_call_message(messages[-1], tool_names)
    if rewritten is None:
        return response
    return ModelResponse(result=[*messages[:-1], rewritten], structured_response=None)


def _load(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def _as_call(data: Any, known: set[str], *, tagged: bool) -> ToolCall | None:
    if not isinstance(data, dict):
        return None
    name = next((data[k] for k in _NAME_KEYS if isinstance(data.get(k), str)), None)
    if isinstance(data.get("function"), dict):  # {"function": {"name": ..., "arguments": ...}}
        return _as_call(data["function"], known, tagged=tagged)
    if name is None or (not tagged and name not in known):
        return None
    arguments: Any = next((data[k] for k in _ARGUMENT_KEYS if k in data), {})
    if isinstance(arguments, str):
        arguments = _load(arguments) or {}
    if not isinstance(arguments, dict):
        arguments = {}
    return ToolCall(name=name, args=arguments, id=f"text_{uuid.uuid4().hex[:12]}")
