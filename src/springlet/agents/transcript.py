"""Reading and mending the message transcript of a run."""

from __future__ import annotations

import json
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage

from springlet._runtime.messages import text_of

STEP_LIMIT_PREFIX = "Model call limit reached"
"""How the step budget words the answer that ends a run at limits.max_steps."""


def message_dicts(messages: list[BaseMessage]) -> list[dict[str, Any]]:
    """Messages as plain JSON-able dicts (role, content, tool calls)."""
    out = []
    for message in messages:
        item: dict[str, Any] = {"role": message.type, "content": text_of(message.content)}
        if isinstance(message, AIMessage) and message.tool_calls:
            item["tool_calls"] = [
                {"id": c.get("id"), "name": c["name"], "arguments": c["args"]}
                for c in message.tool_calls
            ]
        if isinstance(message, ToolMessage):
            item["tool_call_id"] = message.tool_call_id
            item["status"] = message.status
        out.append(json.loads(json.dumps(item, default=str)))
    return out


async def repair_dangling_tool_calls(graph: Any, config: Any) -> int:
    """Answer tool calls that a cancelled turn left without results, so the stored
    conversation stays valid for the model. Returns how many were answered."""
    snapshot = await graph.aget_state(config)
    messages = (snapshot.values or {}).get("messages", []) if snapshot else []
    answered = {m.tool_call_id for m in messages if isinstance(m, ToolMessage)}
    missing = [
        ToolMessage(
            content="Error: this tool call was cancelled before it finished.",
            tool_call_id=call["id"],
            name=call["name"],
            status="error",
        )
        for m in messages
        if isinstance(m, AIMessage)
        for call in m.tool_calls
        if call.get("id") and call["id"] not in answered
    ]
    if missing:
        await graph.aupdate_state(config, {"messages": missing}, as_node="tools")
    return len(missing)
