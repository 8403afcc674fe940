"""Span attributes from LangChain objects: messages, answers, documents, errors."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import BaseMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, LLMResult

from springlet.tracing import spans as a
from springlet.tracing.spans import SpanStatus

TEXT_LIMIT = 20_000
"""Longer texts are cut (with a note) so one huge document can't bloat the store."""
ADVISOR_WORK_KEYS = ("messages", "jump_to", "structured_response")


def clip(text: Any) -> Any:
    if isinstance(text, str) and len(text) > TEXT_LIMIT:
        return text[:TEXT_LIMIT] + f"... [{len(text) - TEXT_LIMIT} more characters]"
    return text


def message_dict(message: BaseMessage) -> dict[str, Any]:
    role = {"human": "user", "ai": "assistant"}.get(message.type, message.type)
    content = message.content if isinstance(message.content, str) else str(message.content)
    out: dict[str, Any] = {"role": role, "content": clip(content)}
    tool_calls = getattr(message, "tool_calls", None)
    if tool_calls:
        out["tool_calls"] = [
            {"id": c.get("id"), "name": c["name"], "arguments": c["args"]} for c in tool_calls
        ]
    if isinstance(message, ToolMessage):
        out["tool_call_id"] = message.tool_call_id
    return out


def input_messages(messages: Sequence[BaseMessage]) -> dict[str, Any]:
    return {a.INPUT_MESSAGES: [message_dict(m) for m in messages]}


def answer_attributes(
    response: LLMResult, start_ns: int, first_token_ns: int | None, end: int
) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    generation = (
        response.generations[0][0] if response.generations and response.generations[0] else None
    )
    output_tokens: int | None = None
    meta: dict[str, Any] = {}
    if isinstance(generation, ChatGeneration):
        message = generation.message
        attributes[a.OUTPUT_MESSAGES] = [message_dict(message)]
        usage = getattr(message, "usage_metadata", None)
        if usage:
            attributes[a.INPUT_TOKENS] = int(usage.get("input_tokens", 0))
            output_tokens = int(usage.get("output_tokens", 0))
            attributes[a.OUTPUT_TOKENS] = output_tokens
        thinking = message.additional_kwargs.get("reasoning_content")
        if isinstance(thinking, str) and thinking:
            attributes[a.MODEL_THINKING] = clip(thinking)
        meta = message.response_metadata or {}
        attributes.update(meta.get("springlet_span") or {})
        model_name = meta.get("model_name") or meta.get("model")
        if model_name:
            attributes[a.RESPONSE_MODEL] = str(model_name)
        reason = meta.get("finish_reason") or meta.get("done_reason")
        if reason:
            attributes[a.FINISH_REASONS] = [str(reason)]
    elif generation is not None:
        attributes[a.OUTPUT_MESSAGES] = [{"role": "assistant", "content": clip(generation.text)}]
    attributes.update(_speed(meta, output_tokens, start_ns, first_token_ns, end))
    return attributes


def _speed(
    meta: dict[str, Any],
    output_tokens: int | None,
    start_ns: int,
    first_token_ns: int | None,
    end: int,
) -> dict[str, Any]:
    """Time to first token and tokens/s. Streamed calls are timed as seen; otherwise the
    model's own timings (Ollama's and the embedded model's `prompt_eval_duration`,
    `eval_count`, `eval_duration`, in ns) say what wall time can't: a whole answer
    arriving at once has no first token to time."""
    out: dict[str, Any] = {}
    prompt_ns, eval_ns, eval_count = (
        meta.get("prompt_eval_duration"),
        meta.get("eval_duration"),
        meta.get("eval_count"),
    )
    if first_token_ns is not None:
        out[a.TIME_TO_FIRST_TOKEN_MS] = round((first_token_ns - start_ns) / 1e6, 3)
    elif isinstance(prompt_ns, int | float) and prompt_ns > 0:
        load_ns = meta.get("load_duration") or 0
        out[a.TIME_TO_FIRST_TOKEN_MS] = round((prompt_ns + load_ns) / 1e6, 3)
    if isinstance(eval_count, int) and isinstance(eval_ns, int | float) and eval_ns > 0:
        out[a.TOKENS_PER_SECOND] = round(eval_count / (eval_ns / 1e9), 2)
        return out
    if output_tokens:
        seconds = (end - (first_token_ns or start_ns)) / 1e9
        if seconds > 0:
            out[a.TOKENS_PER_SECOND] = round(output_tokens / seconds, 2)
    return out


def document_source(doc: Any) -> dict[str, Any]:
    metadata = dict(getattr(doc, "metadata", {}) or {})
    score = metadata.pop("score", metadata.pop("relevance_score", None))
    return {
        "id": getattr(doc, "id", None) or metadata.get("id"),
        "source": metadata.get("source"),
        "score": score,
        "text": clip(str(getattr(doc, "page_content", "")))[:1000],
        "metadata": metadata,
    }


def did_work(outputs: Any) -> bool:
    # counters and other private state are bookkeeping; changing the conversation or the
    # flow is work worth a span
    if isinstance(outputs, dict):
        return any(outputs.get(key) for key in ADVISOR_WORK_KEYS)
    return False


def advisor_effect(outputs: Any) -> dict[str, Any] | None:
    if not isinstance(outputs, dict):
        return None
    effect: dict[str, Any] = {"springlet.advisor.updated": sorted(str(k) for k in outputs)}
    if outputs.get("jump_to"):
        effect["springlet.advisor.jump_to"] = str(outputs["jump_to"])
    return effect


def status_of(error: BaseException) -> SpanStatus:
    if isinstance(error, asyncio.CancelledError | KeyboardInterrupt | GeneratorExit):
        return SpanStatus.CANCELLED
    return SpanStatus.ERROR


def describe(error: BaseException) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
