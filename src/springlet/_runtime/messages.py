"""The text of a message: one definition for every part of springlet that reads one."""

from __future__ import annotations

from typing import Any


def text_of(content: Any) -> str:
    """The text of a message's `content`: a string, or a list of content blocks of which
    the text blocks count (tool-use and image blocks carry no text)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(_block_text(block) for block in content)
    return str(content)


def _block_text(block: Any) -> str:
    if isinstance(block, str):
        return block
    if isinstance(block, dict):
        return str(block.get("text", "")) if block.get("type", "text") == "text" else ""
    return str(block)
