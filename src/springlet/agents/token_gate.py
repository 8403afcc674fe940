"""Which streamed tokens reach the caller: the text of a tool call is not an answer.

Models without native tool calling (and some with it) write their calls as text —
`{"name": ...}`, `<tool_call>...`, a fenced JSON block — which `TextToolCalls` turns
into real calls once the step is complete. While a step's text could still be such a
call its tokens are held; when the step's message arrives they are dropped (it was a
call) or released in one piece (it was an answer after all).
"""

from __future__ import annotations

_CALL_OPENINGS = ("<tool_call>", "{", "```")


def looks_like_a_call(text: str) -> bool:
    """Whether `text` opens like a tool call written as text (or a prefix of one)."""
    head = text.lstrip()
    return bool(head) and any(head.startswith(o) or o.startswith(head) for o in _CALL_OPENINGS)


class TokenGate:
    """Per step: pass tokens through, or hold them while they may be a tool call."""

    def __init__(self) -> None:
        self._text: dict[int, str] = {}
        self._held: set[int] = set()

    def feed(self, step: int, token: str) -> str:
        """The part of `token` to show now ("" while the step is held)."""
        so_far = self._text.get(step, "") + token
        self._text[step] = so_far
        if step in self._held or looks_like_a_call(so_far):
            self._held.add(step)
            return ""
        return token

    def settle(self, step: int, *, became_tool_call: bool) -> str:
        """The step is complete: the held text to show now ("" if none, or a call)."""
        text = self._text.pop(step, "")
        if step not in self._held:
            return ""
        self._held.discard(step)
        return "" if became_tool_call else text
