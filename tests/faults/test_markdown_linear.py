"""Markdown loading is linear: fences are found in one pass, not once per heading.

Asserted on the algorithm (how many times the text is scanned for fences), not on time;
bench/markdown_loading.py measures the time ratio against the size.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from springlet.rag import loaders


def big_markdown(megabytes: float) -> str:
    """A heading every ~1 KB, with a fenced block (holding a fake heading) now and then."""
    parts, size, n = [], 0, 0
    while size < megabytes * 1_000_000:
        body = f"Paragraph {n} " + "lorem ipsum dolor sit amet " * 36
        if n % 10 == 0:
            body += "\n\n```\n# not a heading inside a fence\n```\n"
        part = f"## Section {n}\n\n{body}\n\n"
        parts.append(part)
        size += len(part)
        n += 1
    return "# Big\n\n" + "".join(parts)


class CountingPattern:
    """Stands in for a compiled regex and counts the scans made with it."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self.scans = 0

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.pattern, name)
        if name in ("finditer", "findall", "search", "match"):

            def counted(*args: Any, **kwargs: Any) -> Any:
                self.scans += 1
                return attr(*args, **kwargs)

            return counted
        return attr


def test_fences_are_scanned_once_for_a_multi_megabyte_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = big_markdown(2)
    fence = CountingPattern(loaders._FENCE)
    monkeypatch.setattr(loaders, "_FENCE", fence)
    sections = loaders.markdown_sections(text, "big.md", "big")
    assert fence.scans == 1  # before: one scan from the start per heading (~2000 here)
    headings = text.count("\n## Section ")
    assert len(sections) == headings + 0  # "# Big" has no body of its own: joins the first
    assert all("not a heading" not in s.metadata["heading"] for s in sections)
    assert sections[0].metadata["heading"] == "Big > Section 0"
    assert sections[-1].metadata["title"] == "Big"


def test_a_run_of_empty_headings_is_not_rescanned(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "".join(f"## Empty {i}\n\n" for i in range(3000)) + "Finally a body.\n"
    scanned: list[int] = []
    real = loaders._has_body

    def has_body(segment: str) -> bool:
        scanned.append(len(segment))
        return real(segment)

    monkeypatch.setattr(loaders, "_has_body", has_body)
    (section,) = loaders.markdown_sections(text, "empty.md", "empty")
    assert section.metadata["heading"] == "Empty 2999"
    assert section.page_content.startswith("## Empty 0")
    assert sum(scanned) < 3 * len(text)  # before: the whole growing run, again and again
