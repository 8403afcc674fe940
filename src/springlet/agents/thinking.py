"""Thinking kept out of answers, memory and structured output, in a run.

`ThinkingStream` splits what a run streams into thinking and answer tokens (thinking
Ollama reported apart, and `<think>` text written inline, even across chunks).
`KeepThinkingOut` is the innermost middleware: the AI message a model call returns has
its inline thinking removed from the content and its reported thinking dropped, so
neither is stored in memory nor sent back to the model on the next call. The model span
has recorded it already (`springlet.model.thinking`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from langchain.agents.middleware import AgentMiddleware, AgentState, ModelRequest, ModelResponse
from langchain_core.messages import AIMessage, AIMessageChunk

from springlet.models.thinking import THINKING_KEY, ThinkSplitter, split_thinking

ModelHandler = Callable[[ModelRequest], Awaitable[ModelResponse]]


class ThinkingStream:
    """Per step: (thinking, answer) text of each streamed chunk."""

    def __init__(self) -> None:
        self._splitters: dict[int, ThinkSplitter] = {}

    def feed(self, step: int, chunk: AIMessageChunk, text: str) -> tuple[str, str]:
        splitter = self._splitters.setdefault(step, ThinkSplitter())
        reported = chunk.additional_kwargs.get(THINKING_KEY)
        thinking, answer = splitter.feed(text)
        if isinstance(reported, str):
            thinking = reported + thinking
        return thinking, answer

    def settle(self, step: int) -> tuple[str, str]:
        """The step is complete: what its splitter still held."""
        splitter = self._splitters.pop(step, None)
        return splitter.flush() if splitter is not None else ("", "")


def without_thinking(message: AIMessage) -> AIMessage | None:
    """`message` without thinking in its content or metadata; None when it has none."""
    content = message.content
    extra = message.additional_kwargs
    inline = isinstance(content, str) and ("<think>" in content or "</think>" in content)
    if not inline and THINKING_KEY not in extra:
        return None
    answer = split_thinking(content)[1] if isinstance(content, str) and inline else content
    kept = {k: v for k, v in extra.items() if k != THINKING_KEY}
    return message.model_copy(update={"content": answer, "additional_kwargs": kept})


class KeepThinkingOut(AgentMiddleware[AgentState[Any], Any]):
    """The model's answer without its thinking (see the module doc)."""

    async def awrap_model_call(self, request: ModelRequest, handler: ModelHandler) -> Any:
        response = await handler(request)
        changed = False
        result = []
        for message in response.result:
            clean = without_thinking(message) if isinstance(message, AIMessage) else None
            changed = changed or clean is not None
            result.append(clean if clean is not None else message)
        if not changed:
            return response
        return ModelResponse(result=result, structured_response=response.structured_response)
