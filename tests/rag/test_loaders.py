"""Each loader keeps source path, title, heading path, page and character offsets."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from springlet.rag.loaders import DocumentLoadError, load_file
from springlet.rag.spec import SplitterSpec
from springlet.rag.splitting import split_sections

MARKDOWN = """# Router manual

Intro about the router.

## Setup

Plug it in.

```bash
# not a heading, a shell comment
```

### Reset

Hold the reset button for ten seconds.

## Filters

SKU-4471-B fits the X200.
"""


def test_markdown_sections_carry_heading_paths_and_offsets(tmp_path: Path) -> None:
    path = tmp_path / "manual.md"
    path.write_text(MARKDOWN, encoding="utf-8")
    sections = load_file(path, "knowledge/manual.md")
    headings = [s.metadata["heading"] for s in sections]
    assert headings == [
        "Router manual",
        "Router manual > Setup",
        "Router manual > Setup > Reset",
        "Router manual > Filters",
    ]
    assert all(s.metadata["title"] == "Router manual" for s in sections)
    assert all(s.metadata["source"] == "knowledge/manual.md" for s in sections)
    for section in sections:
        start = section.metadata["offset"]
        assert MARKDOWN[start : start + len(section.page_content)] == section.page_content


def test_chunk_offsets_point_into_the_file(tmp_path: Path) -> None:
    path = tmp_path / "manual.md"
    path.write_text(MARKDOWN, encoding="utf-8")
    chunks = split_sections(load_file(path, "m.md"), SplitterSpec(chunk_size=60, chunk_overlap=0))
    assert len(chunks) > 4
    for chunk in chunks:
        assert MARKDOWN[chunk.start : chunk.end] == chunk.text


def test_text_file_is_one_section_titled_by_its_name(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("Opening hours: 9 to 5.\n", encoding="utf-8")
    [section] = load_file(path, "notes.txt")
    assert section.page_content == "Opening hours: 9 to 5.\n"
    assert section.metadata["title"] == "notes"
    assert section.metadata["page"] is None


def test_html_loader_keeps_title_and_drops_markup(tmp_path: Path) -> None:
    path = tmp_path / "faq.html"
    path.write_text(
        "<html><head><title>ACME FAQ</title><style>p {color: red}</style></head>"
        "<body><h1>Returns</h1><p>Returns are free within <b>30 days</b>.</p></body></html>",
        encoding="utf-8",
    )
    [section] = load_file(path, "faq.html")
    assert section.metadata["title"] == "ACME FAQ"
    assert "30 days" in section.page_content
    assert "<p>" not in section.page_content


def test_pdf_loader_gives_one_section_per_page(
    tmp_path: Path, make_pdf: Callable[[Path, list[str]], Path]
) -> None:
    path = make_pdf(tmp_path / "guide.pdf", ["Warranty lasts two years.", "Batteries are AA."])
    sections = load_file(path, "guide.pdf")
    assert [s.metadata["page"] for s in sections] == [1, 2]
    assert "Warranty lasts two years." in sections[0].page_content
    assert "Batteries are AA." in sections[1].page_content


def test_unsupported_and_broken_files_raise_clear_errors(tmp_path: Path) -> None:
    odd = tmp_path / "data.xyz"
    odd.write_text("x", encoding="utf-8")
    with pytest.raises(DocumentLoadError, match=r"unsupported file type '\.xyz'"):
        load_file(odd, "data.xyz")
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"not a pdf at all")
    with pytest.raises(DocumentLoadError, match=r"cannot read broken\.pdf"):
        load_file(broken, "broken.pdf")


def test_html_headings_become_heading_paths(tmp_path: Path) -> None:
    path = tmp_path / "guide.html"
    path.write_text(
        "<html><body><h1>Guide</h1><p>Intro.</p><h2>Install</h2><p>Run the installer.</p>"
        "<script>var secret = 1;</script></body></html>",
        encoding="utf-8",
    )
    sections = load_file(path, "guide.html")
    assert [s.metadata["heading"] for s in sections] == ["Guide", "Guide > Install"]
    assert "Run the installer." in sections[1].page_content
    assert all("secret" not in s.page_content for s in sections)
