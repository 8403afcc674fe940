"""The `/api/chat` request springlet sends and how it reads the answer's lines.

`ollama.Client.chat` has no field for Ollama's `truncate` flag, and its response model
rejects a tool call whose arguments are not an object before anything can repair them.
So `SpringletChatOllama` sends the body built here (the client's own `ChatRequest` plus
`truncate: false`: an over-long prompt is then an error instead of a prompt whose start,
with the system prompt and tool definitions, was silently dropped) and reads each line
with `ToolCallReader`, which repairs malformed arguments (`tool_arguments`) first.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.messages import AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk
from ollama import ChatResponse
from ollama._types import ChatRequest, Tool

from springlet.models.tool_arguments import (
    INVALID_KEY,
    REPAIRED_KEY,
    ArgumentRepair,
    repair_arguments,
)

READER_KWARG = "_springlet_reader"
"""A private keyword argument carrying the reader from the stream to the request."""


def chat_body(params: Mapping[str, Any], *, truncate: bool | None = False) -> dict[str, Any]:
    """The JSON body of `/api/chat` for ChatOllama's `params`, with `truncate`."""
    request = ChatRequest(
        model=params["model"],
        messages=list(params.get("messages") or []),
        tools=[Tool.model_validate(t) for t in params.get("tools") or []],
        stream=bool(params.get("stream", True)),
        think=params.get("think"),
        logprobs=params.get("logprobs"),
        top_logprobs=params.get("top_logprobs"),
        format=params.get("format"),
        options=params.get("options"),
        keep_alive=params.get("keep_alive"),
    )
    body = request.model_dump(exclude_none=True)
    if truncate is not None:
        body["truncate"] = truncate
    return body


class ToolCallReader:
    """Turns each answer line into a `ChatResponse`, repairing tool-call arguments on the
    way; remembers per line what it repaired or refused, for `annotate`."""

    def __init__(self, tools: Sequence[Any] | None) -> None:
        self.schemas: dict[str, dict[str, Any]] = {}
        for tool in tools or []:
            function = tool.get("function", {}) if isinstance(tool, Mapping) else {}
            if function.get("name"):
                self.schemas[str(function["name"])] = dict(function.get("parameters") or {})
        self.pending: deque[list[ArgumentRepair]] = deque()

    def __call__(self, **part: Any) -> ChatResponse:
        message = part.get("message")
        calls = message.get("tool_calls") if isinstance(message, dict) else None
        if calls:
            outcomes = []
            for call in calls:
                function = call.get("function") or {}
                schema = self.schemas.get(str(function.get("name")))
                outcome = repair_arguments(function.get("arguments"), schema)
                function["arguments"] = outcome.arguments
                outcomes.append(outcome)
            self.pending.append(outcomes)
        return ChatResponse(**part)

    def annotate(self, chunk: ChatGenerationChunk) -> ChatGenerationChunk:
        """`chunk` with what was repaired or refused in its tool calls, keyed by call id."""
        message = chunk.message
        if not isinstance(message, AIMessageChunk) or not message.tool_calls or not self.pending:
            return chunk
        outcomes = self.pending.popleft()
        repaired, invalid = {}, {}
        for call, outcome in zip(message.tool_calls, outcomes, strict=False):
            call_id = str(call.get("id"))
            if outcome.error is not None:
                invalid[call_id] = f"{outcome.error}: {outcome.original}"
            elif outcome.repaired:
                repaired[call_id] = outcome.original
        # generation_info: what ChatOllama carries into the message's response_metadata
        info = dict(chunk.generation_info or {})
        if repaired:
            info[REPAIRED_KEY] = repaired
        if invalid:
            info[INVALID_KEY] = invalid
        chunk.generation_info = info or None
        return chunk
