"""Prompted tool calls for Ollama models without native tool support.

Ollama answers 400 "... does not support tools" when a model's template has no tool
section. springlet then describes the tools in a system message, asks for JSON that a
`format` JSON schema constrains (one branch per tool: its name as a one-value enum and
its own argument schema, plus an `answer` branch), and turns that JSON back into real
`AIMessage.tool_calls`, so the agent loop cannot tell the difference.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages.tool import tool_call

from springlet.models.tool_arguments import (
    INVALID_KEY,
    REPAIRED_KEY,
    repair_arguments,
    repair_json_text,
)

INSTRUCTIONS = """You can use these tools:
{tool_list}

Reply with JSON only.
To call a tool: {{"tool": "<tool name>", "arguments": {{...}}}}
To answer the user (when no tool is needed, or after the tool results you need):
{{"answer": "<your answer>"}}"""


def tool_names(tools: Sequence[dict[str, Any]]) -> list[str]:
    return [str(t.get("function", {}).get("name", "")) for t in tools]


def tool_choice_schema(tools: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The JSON schema (Ollama `format`) of one decision: call one tool, or answer."""
    branches: list[dict[str, Any]] = []
    for tool in tools:
        function = tool.get("function", {})
        parameters = function.get("parameters") or {"type": "object", "properties": {}}
        branches.append(
            {
                "type": "object",
                "properties": {
                    "tool": {"type": "string", "enum": [function.get("name", "")]},
                    "arguments": parameters,
                },
                "required": ["tool", "arguments"],
            }
        )
    branches.append(
        {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}
    )
    return {"anyOf": branches}


def describe_tools(tools: Sequence[dict[str, Any]]) -> str:
    lines = []
    for tool in tools:
        function = tool.get("function", {})
        arguments = json.dumps(function.get("parameters", {}).get("properties", {}))
        lines.append(f"- {function.get('name')}: {function.get('description', '')}")
        lines.append(f"  arguments: {arguments}")
    return "\n".join(lines)


def prompted_messages(
    messages: Sequence[BaseMessage], tools: Sequence[dict[str, Any]]
) -> list[BaseMessage]:
    """The conversation rewritten for a model that knows no tool roles.

    Earlier tool calls become the JSON the model would have written; tool results become
    user messages naming the tool, which every chat template can render.
    """
    guide = INSTRUCTIONS.format(tool_list=describe_tools(tools))
    rewritten: list[BaseMessage] = []
    system_seen = False
    for message in messages:
        if isinstance(message, SystemMessage) and not system_seen:
            rewritten.append(SystemMessage(f"{message.text}\n\n{guide}"))
            system_seen = True
        elif isinstance(message, AIMessage) and message.tool_calls:
            for call in message.tool_calls:
                decision = {"tool": call["name"], "arguments": call["args"]}
                rewritten.append(AIMessage(json.dumps(decision)))
        elif isinstance(message, ToolMessage):
            name = message.name or "the tool"
            rewritten.append(HumanMessage(f"Result of {name}: {message.text}"))
        else:
            rewritten.append(message)
    if not system_seen:
        rewritten.insert(0, SystemMessage(guide))
    return rewritten


def parse_decision(text: str, tools: Sequence[dict[str, Any]]) -> AIMessage:
    """The model's JSON decision as an AIMessage: tool calls, or the answer's text.

    Text that is not a decision (no JSON, an unknown tool) is kept as the answer, so a
    model that ignores the format still gets its words to the user. Malformed JSON is
    repaired when that is unambiguous; repaired and refused arguments are noted in the
    message's metadata by call id (see `springlet.models.tool_arguments`).
    """
    try:
        decision, original = json.loads(text), None
    except json.JSONDecodeError:
        decision, original = repair_json_text(text, "{", "}"), text
        if decision is None:
            return AIMessage(content=text)
    decisions = decision if isinstance(decision, list) else [decision]
    schemas = {name: _parameters(tool) for name, tool in zip(tool_names(tools), tools, strict=True)}
    calls, repaired, invalid = [], {}, {}
    for item in decisions:
        if isinstance(item, dict) and item.get("tool") in schemas:
            name = str(item["tool"])
            outcome = repair_arguments(item.get("arguments"), schemas[name])
            call_id = f"call_{uuid.uuid4().hex[:12]}"
            if outcome.error is not None:
                invalid[call_id] = f"{outcome.error}: {outcome.original}"
            elif outcome.repaired or original is not None:
                repaired[call_id] = original or outcome.original or ""
            calls.append(tool_call(name=name, args=outcome.arguments, id=call_id))
    if calls:
        metadata: dict[str, Any] = {}
        if repaired:
            metadata[REPAIRED_KEY] = repaired
        if invalid:
            metadata[INVALID_KEY] = invalid
        return AIMessage(content="", tool_calls=calls, response_metadata=metadata)
    if isinstance(decision, dict) and isinstance(decision.get("answer"), str):
        return AIMessage(content=decision["answer"])
    return AIMessage(content=text)


def _parameters(tool: dict[str, Any]) -> dict[str, Any]:
    return dict(tool.get("function", {}).get("parameters") or {})
