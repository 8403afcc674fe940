"""The answers of the Ollama test server: chat turns from a LangChain model, pull
progress, and the special `load` reply, shaped as Ollama's docs/api.md shows them."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk

from springlet.models.thinking import ThinkSplitter
from springlet.testing.ollama_protocol import (
    ServedModel,
    now_iso,
    ollama_tool_calls,
    prompt_token_count,
    to_langchain_messages,
)


def errors_as_lines(lines: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The lines, then Ollama's mid-stream `{"error": ...}` line if producing them failed."""
    try:
        yield from lines
    except Exception as exc:
        yield {"error": f"model runner failed: {exc}"}


def pull_progress(model: ServedModel | None) -> Iterator[dict[str, Any]]:
    yield {"status": "pulling manifest"}
    if model is None:
        yield {"error": "pull model manifest: file does not exist"}
        return
    digest = f"sha256:{model.digest}"
    step = model.size // 4
    for completed in (0, step, 2 * step, model.size):
        yield {
            "status": f"pulling {model.digest[:12]}",
            "digest": digest,
            "total": model.size,
            "completed": completed,
        }
    for status in ("verifying sha256 digest", "writing manifest", "success"):
        yield {"status": status}


def load_response(model: str, body: dict[str, Any]) -> dict[str, Any]:
    unload = body.get("keep_alive") in (0, "0", "0s")
    return {
        "model": model,
        "created_at": now_iso(),
        "message": {"role": "assistant", "content": ""},
        "done_reason": "unload" if unload else "load",
        "done": True,
    }


class ChatTurn:
    """One `/api/chat` answer computed from the backend model."""

    def __init__(
        self,
        backend: BaseChatModel,
        body: dict[str, Any],
        *,
        malformed_tool_calls: bool = False,
        thinks: bool = False,
    ) -> None:
        self.backend = backend
        self.malformed = malformed_tool_calls
        # like Ollama's parser for a thinking model: `<think>` text from the backend goes
        # to `message.thinking` (dropped when the request says `think: false`)
        self.splitter = ThinkSplitter() if thinks else None
        self.send_thinking = thinks and body.get("think") is not False
        self.body = body
        self.name = str(body.get("model"))
        self.started = time.perf_counter_ns()

    def _backend_chunks(self) -> Iterator[AIMessageChunk]:
        runnable: Any = self.backend
        tools = self.body.get("tools") or []
        messages = to_langchain_messages(self.body.get("messages") or [])
        answer_format = self.body.get("format")
        if answer_format and not tools:
            yield self._formatted(messages, answer_format)
            return
        if tools:
            runnable = runnable.bind_tools(tools)
        yield from runnable.stream(messages)

    def _formatted(self, messages: list[Any], answer_format: Any) -> AIMessageChunk:
        """Like Ollama's constrained `format`: the backend's structured output, as JSON text
        (the raw text when the backend's answer does not parse, as a weak model's would)."""
        schema = answer_format if isinstance(answer_format, dict) else {"type": "object"}
        result = self.backend.with_structured_output(schema, include_raw=True).invoke(messages)
        raw = result["raw"] if isinstance(result, dict) else None
        parsed = result.get("parsed") if isinstance(result, dict) else result
        if parsed is not None:
            text = json.dumps(parsed.model_dump() if hasattr(parsed, "model_dump") else parsed)
        else:
            text = raw.text if isinstance(raw, AIMessage) else ""
        usage = raw.usage_metadata if isinstance(raw, AIMessage) else None
        return AIMessageChunk(content=text, usage_metadata=usage)

    def _line(self, message: dict[str, Any]) -> dict[str, Any]:
        return {"model": self.name, "created_at": now_iso(), "message": message, "done": False}

    def _message(self, content: str, *, last: bool = False) -> dict[str, Any] | None:
        """The streamed message for `content` (None when there is nothing to send)."""
        thinking = ""
        if self.splitter is not None:
            thinking, content = self.splitter.feed(content)
            if last:
                rest_thinking, rest = self.splitter.flush()
                thinking, content = thinking + rest_thinking, content + rest
        message: dict[str, Any] = {"role": "assistant", "content": content}
        if thinking and self.send_thinking:
            message["thinking"] = thinking
        return message if content or "thinking" in message else None

    def stream(self) -> Iterator[dict[str, Any]]:
        total: AIMessageChunk | None = None
        for chunk in self._backend_chunks():
            total = chunk if total is None else total + chunk
            if isinstance(chunk.content, str) and chunk.content:
                message = self._message(chunk.content)
                if message is not None:
                    yield self._line(message)
        held = self._message("", last=True)
        if held is not None:
            yield self._line(held)
        final = AIMessage(content="", tool_calls=total.tool_calls if total else [])
        if final.tool_calls:
            calls = ollama_tool_calls(final, malformed=self.malformed)
            yield self._line({"role": "assistant", "content": "", "tool_calls": calls})
        yield self._done(total, {"role": "assistant", "content": ""})

    def single(self) -> dict[str, Any]:
        total: AIMessageChunk | None = None
        for chunk in self._backend_chunks():
            total = chunk if total is None else total + chunk
        message: dict[str, Any] = {"role": "assistant", "content": ""}
        if total is not None:
            text = total.content if isinstance(total.content, str) else ""
            message = self._message(text, last=True) or message
            if total.tool_calls:
                message["tool_calls"] = ollama_tool_calls(
                    AIMessage(content="", tool_calls=total.tool_calls), malformed=self.malformed
                )
        return self._done(total, message)

    def _done(self, total: AIMessageChunk | None, message: dict[str, Any]) -> dict[str, Any]:
        options = self.body.get("options") or {}
        prompt_tokens = prompt_token_count(
            self.body.get("messages") or [], self.body.get("tools") or []
        )
        usage = total.usage_metadata if total is not None else None
        output_tokens = usage["output_tokens"] if usage else 0
        num_ctx = int(options.get("num_ctx") or 4096)
        elapsed = max(time.perf_counter_ns() - self.started, 1)
        return {
            "model": self.name,
            "created_at": now_iso(),
            "message": message,
            "done_reason": "stop",
            "done": True,
            "total_duration": elapsed,
            "load_duration": 0,
            # Ollama silently keeps only the last num_ctx tokens of a longer prompt
            "prompt_eval_count": min(prompt_tokens, num_ctx),
            "prompt_eval_duration": elapsed // 2,
            "eval_count": output_tokens,
            "eval_duration": elapsed - elapsed // 2,
        }
