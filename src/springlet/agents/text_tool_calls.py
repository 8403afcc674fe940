"""Tool calls that a model wrote as text instead of through the tool-calling API.

Small local models often answer `<tool_call>{"name": ..., "arguments": ...}</tool_call>`
(the Hermes/Qwen convention), or a bare JSON object naming a tool, as plain text. Shown
to the user, that reads as gibberish; so `TextToolCalls` turns such an answer into a
real tool call, which the agent then executes (or, for an unknown tool, answers with an
error the model can act on). Malformed JSON in such a call is repaired when that is
unambiguous (`springlet.models.tool_arguments`); the repair is noted on the message.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from langchain.agents.middleware import AgentMiddleware, AgentState, ModelRequest, ModelResponse
from langchain_core.messages import AIMessage, BaseMessage, ToolCall

from springlet.models.tool_arguments import (
    INVALID_KEY,
    REPAIRED_KEY,
    repair_arguments,
    repair_json_text,
)

ModelHandler = Callable[[ModelRequest], Awaitable[ModelResponse]]

_TAGGED = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.DOTALL)
_FENCED = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)
_NAME_KEYS = ("name", "tool", "tool_name", "function")
_ARGUMENT_KEYS = ("arguments", "args", "parameters", "input")


@dataclass
class _Notes:
    """What was repaired or refused while reading calls, by call id."""

    repaired: dict[str, str] = field(default_factory=dict)
    invalid: dict[str, str] = field(default_factory=dict)


def text_tool_calls(
    text: str,
    tool_names: Iterable[str],
    schemas: Mapping[str, dict[str, Any]] | None = None,
    notes: _Notes | None = None,
) -> list[ToolCall]:
    """The tool calls written in `text`: every `<tool_call>` block, or the whole text
    when it is one JSON object naming one of `tool_names`. Empty when there are none."""
    known = set(tool_names)
    reader = _Reader(known, dict(schemas or {}), notes if notes is not None else _Notes())
    stripped = text.strip()
    if "<tool_call>" in stripped:
        calls = [reader.call(block, tagged=True) for block in _TAGGED.findall(stripped)]
        return [c for c in calls if c is not None]
    fenced = _FENCED.match(stripped)
    body = fenced.group(1) if fenced else stripped
    if not body.startswith("{"):
        return []
    call = reader.call(body, tagged=False)
    return [call] if call is not None else []


def as_tool_call_message(
    message: AIMessage,
    tool_names: Iterable[str],
    schemas: Mapping[str, dict[str, Any]] | None = None,
) -> AIMessage | None:
    """`message` rewritten with its text tool calls as real ones; None when it has none."""
    if message.tool_calls or not isinstance(message.content, str):
        return None
    notes = _Notes()
    calls = text_tool_calls(message.content, tool_names, schemas, notes)
    if not calls:
        return None
    metadata = dict(message.response_metadata)
    if notes.repaired:
        metadata[REPAIRED_KEY] = notes.repaired
    if notes.invalid:
        metadata[INVALID_KEY] = notes.invalid
    return AIMessage(
        content="",
        tool_calls=calls,
        id=message.id,
        usage_metadata=message.usage_metadata,
        response_metadata=metadata,
    )


class TextToolCalls(AgentMiddleware[AgentState[Any], Any]):
    """Turn tool calls written as text into real tool calls before the agent acts."""

    def __init__(
        self, tool_names: Iterable[str], schemas: Mapping[str, dict[str, Any]] | None = None
    ) -> None:
        super().__init__()
        self.tool_names = tuple(tool_names)
        self.schemas = dict(schemas or {})

    async def awrap_model_call(self, request: ModelRequest, handler: ModelHandler) -> Any:
        response = await handler(request)
        return rewrite_response(response, self.tool_names, self.schemas)


def rewrite_response(
    response: ModelResponse,
    tool_names: Iterable[str],
    schemas: Mapping[str, dict[str, Any]] | None = None,
) -> ModelResponse:
    """`response` with a text tool call in its last AI message made real."""
    messages: list[BaseMessage] = list(response.result)
    if not messages or not isinstance(messages[-1], AIMessage):
        return response
    rewritten = as_tool_call_message(messages[-1], tool_names, schemas)
    if rewritten is None:
        return response
    return ModelResponse(result=[*messages[:-1], rewritten], structured_response=None)


@dataclass
class _Reader:
    known: set[str]
    schemas: dict[str, dict[str, Any]]
    notes: _Notes

    def call(self, block: str, *, tagged: bool) -> ToolCall | None:
        data, original = _load(block)
        if isinstance(data, dict) and isinstance(data.get("function"), dict):
            data = data["function"]  # {"function": {"name": ..., "arguments": ...}}
        if not isinstance(data, dict):
            return None
        name = next((data[k] for k in _NAME_KEYS if isinstance(data.get(k), str)), None)
        if name is None or (not tagged and name not in self.known):
            return None
        call_id = f"text_{uuid.uuid4().hex[:12]}"
        raw: Any = next((data[k] for k in _ARGUMENT_KEYS if k in data), {})
        outcome = repair_arguments(raw, self.schemas.get(name))
        if outcome.error is not None:
            self.notes.invalid[call_id] = f"{outcome.error}: {outcome.original}"
        elif outcome.repaired or original is not None:
            self.notes.repaired[call_id] = original or outcome.original or ""
        return ToolCall(name=name, args=outcome.arguments, id=call_id)


def _load(text: str) -> tuple[Any, str | None]:
    """The JSON in `text`, and `text` itself when it had to be repaired to read it."""
    try:
        return json.loads(text), None
    except json.JSONDecodeError:
        pass
    repaired = repair_json_text(text, "{", "}")
    return (repaired, text) if repaired is not None else (None, None)
