"""LangChain messages as the chat turns a small local model reads.

Chat templates know system, user and assistant turns. Tool results, which the template
has no words for, are written as plain sentences on the user's side: a 135M model
answers from "The tool get_order_status returned: shipped" far better than from a
role it never saw in training. The assistant's tool calls are announced in a sentence.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from springlet._runtime.messages import text_of

Turn = dict[str, str]


def message_text(message: BaseMessage) -> str:
    """The text of a message, whether its content is a string or a list of blocks."""
    return text_of(message.content)


def to_turns(messages: Sequence[BaseMessage], *, system_extra: str = "") -> list[Turn]:
    """Chat-template turns for `messages`; every system message is merged into the first
    turn (templates expect at most one), with `system_extra` appended to it."""
    system_parts = [message_text(m) for m in messages if isinstance(m, SystemMessage)]
    if system_extra:
        system_parts.append(system_extra)
    turns: list[Turn] = []
    if system_parts:
        turns.append({"role": "system", "content": "\n\n".join(p for p in system_parts if p)})
    for message in messages:
        if isinstance(message, SystemMessage):
            continue
        turn = _turn(message)
        if turns and turns[-1]["role"] == turn["role"] == "user":
            turns[-1]["content"] += "\n\n" + turn["content"]
        else:
            turns.append(turn)
    return turns


def _turn(message: BaseMessage) -> Turn:
    if isinstance(message, ToolMessage):
        name = message.name or "the tool"
        return {"role": "user", "content": f"The tool {name} returned: {message_text(message)}"}
    if isinstance(message, AIMessage):
        return {"role": "assistant", "content": message_text(message) or _announce(message)}
    if isinstance(message, HumanMessage):
        return {"role": "user", "content": message_text(message)}
    return {"role": "user", "content": message_text(message)}


def _announce(message: AIMessage) -> str:
    # A call is shown as a sentence, not as `call name {json}`: shown its own call
    # syntax, a small model repeats it instead of answering from the result. Measured
    # on 3 results x 3 system prompts: this wording answered from the result 9/9.
    names = " and ".join(dict.fromkeys(call["name"] for call in message.tool_calls))
    return f"Let me look that up with {names}." if names else ""


def describe_tools(tools: Sequence[dict[str, Any]]) -> str:
    """A system-prompt section listing the tools and how to ask for one."""
    lines = ["You can use these tools:"]
    for tool in tools:
        params = tool.get("parameters", {}).get("properties", {})
        signature = ", ".join(f"{name}: {_type_name(spec)}" for name, spec in params.items())
        description = (tool.get("description") or "").strip().splitlines()
        summary = description[0] if description else ""
        lines.append(f"- {tool['name']}({signature}): {summary}")
    lines.append(
        "When the user's request needs a tool, reply `call <tool name>`. "
        "When you can reply without a tool, reply `answer`."
    )
    return "\n".join(lines)


def _type_name(spec: dict[str, Any]) -> str:
    kind = spec.get("type")
    if isinstance(kind, str):
        return kind
    options = spec.get("anyOf") or spec.get("oneOf") or []
    names = [str(o.get("type")) for o in options if isinstance(o, dict) and o.get("type")]
    return " | ".join(names) or "any"


def last_is_tool_result(messages: Sequence[BaseMessage]) -> bool:
    """True when the newest message is a tool's result (the model has not spoken since)."""
    return bool(messages) and isinstance(messages[-1], ToolMessage)


def conversation_text(messages: Sequence[BaseMessage]) -> str:
    """What the user and the tools said, where tool arguments should come from."""
    said = [m for m in messages if isinstance(m, HumanMessage | ToolMessage)]
    return "\n".join(message_text(m) for m in said)
