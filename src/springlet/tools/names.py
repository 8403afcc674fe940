"""What a tool may be called where a model sees it."""

from __future__ import annotations

import re

_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9_-]")


def model_tool_name(name: str) -> str:
    """`name` with the characters tool-call APIs reject replaced by `_` (they allow
    letters, digits, `_` and `-`): `summarize.v2` -> `summarize_v2`."""
    return _NOT_ALLOWED.sub("_", name)
