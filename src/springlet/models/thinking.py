"""Thinking: the `think:` setting, and thinking text kept apart from the answer.

Models that think either report it separately (Ollama's `message.thinking` for models
whose `/api/show` capabilities include "thinking") or write it inline as
`<think>...</think>` before the answer. Either way it must never reach the answer text,
memory or structured-output parsing (ollama-python #529, langchain #32120): `ThinkSplitter`
separates inline thinking from a stream of text, even when a tag is cut across chunks.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator

ThinkLevel = bool | Literal["low", "medium", "high"]
"""`think:` as users write it: on, off, or a level for models that have levels."""

THINKING_KEY = "reasoning_content"
"""Where LangChain (and ChatOllama) keep a message's thinking: `additional_kwargs[...]`."""

OPEN_TAG = "<think>"
CLOSE_TAG = "</think>"


def _coerce_think(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str) and value.strip().lower() in ("low", "medium", "high"):
        return value.strip().lower()
    raise ValueError(f"think is true, false, low, medium or high; got {value!r}")


ThinkSetting = Annotated[ThinkLevel | None, BeforeValidator(_coerce_think)]
"""A `think:` field in a spec (None: the model's own default)."""


class ThinkSplitter:
    """Splits streamed text into (thinking, answer) parts at `<think>` / `</think>`.

    Text that could be the start of a tag is held until the next chunk shows whether it
    is one; `flush()` releases what is held at the end of the stream.
    """

    def __init__(self) -> None:
        self.thinking = False
        self._held = ""

    def feed(self, text: str) -> tuple[str, str]:
        """The (thinking, answer) text of this chunk that is certain now."""
        buffer = self._held + text
        self._held = ""
        thought: list[str] = []
        answer: list[str] = []
        while buffer:
            tag = CLOSE_TAG if self.thinking else OPEN_TAG
            at = buffer.find(tag)
            if at >= 0:
                (thought if self.thinking else answer).append(buffer[:at])
                buffer = buffer[at + len(tag) :]
                self.thinking = not self.thinking
                continue
            keep = _partial_tag_suffix(buffer, tag)
            (thought if self.thinking else answer).append(buffer[: len(buffer) - keep])
            self._held = buffer[len(buffer) - keep :]
            break
        return "".join(thought), "".join(answer)

    def flush(self) -> tuple[str, str]:
        """What is still held, at the end of the stream."""
        held, self._held = self._held, ""
        return (held, "") if self.thinking else ("", held)


def split_thinking(text: str) -> tuple[str, str]:
    """(thinking, answer) of a complete text. A `</think>` without its opening tag (a chat
    template that opened it for the model) makes everything before it thinking."""
    if CLOSE_TAG in text and OPEN_TAG not in text.split(CLOSE_TAG, 1)[0]:
        before, after = text.split(CLOSE_TAG, 1)
        thinking, answer = split_thinking(after)
        return _join(before.strip(), thinking), answer
    splitter = ThinkSplitter()
    thinking, answer = splitter.feed(text)
    rest_thinking, rest_answer = splitter.flush()
    return (thinking + rest_thinking).strip(), (answer + rest_answer).lstrip()


def _join(first: str, second: str) -> str:
    return "\n".join(part for part in (first, second) if part)


def _partial_tag_suffix(text: str, tag: str) -> int:
    """How many characters at the end of `text` could begin `tag`."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if tag.startswith(text[-size:]):
            return size
    return 0
