"""The text of a message, read the same way everywhere."""

from __future__ import annotations

from springlet._runtime.messages import text_of


def test_text_of_strings_blocks_and_other_content() -> None:
    assert text_of("plain") == "plain"
    blocks = [
        {"type": "text", "text": "Hello "},
        "world",
        {"type": "tool_use", "id": "t1", "name": "x", "input": {}},  # no text in it
        {"text": "!"},  # a block without a type is text
    ]
    assert text_of(blocks) == "Hello world!"
    assert text_of(None) == "None"
