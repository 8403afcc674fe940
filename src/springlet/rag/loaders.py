"""Load .md, .txt, .pdf and .html files into sections that know where they came from.

A section is a LangChain `Document` whose metadata says `source` (workspace-relative
path), `title`, `heading` (the heading path, "Setup > Reset"), `page` (PDF pages,
1-based, else None) and `offset` (where the section starts in the file's loaded text,
or in its page). The splitter cuts sections into chunks and adds chunk offsets.

Text and PDF go through LangChain community loaders (`TextLoader`, `PyPDFLoader`);
Markdown is read the same way and cut at its headings here, because LangChain's header
splitter drops the character offsets we keep. HTML is read with BeautifulSoup and cut
at its h1-h6 the same way (offsets then count in the extracted text).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

from langchain_core.documents import Document

from springlet.errors import SpringletError

SUPPORTED_SUFFIXES = (".md", ".markdown", ".txt", ".pdf", ".html", ".htm")
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
_FENCE = re.compile(r"^(```|~~~)", re.MULTILINE)


class DocumentLoadError(SpringletError):
    """A knowledge file could not be read."""


def load_file(path: Path, source: str) -> list[Document]:
    """The sections of one file; `source` is the path recorded in every chunk."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".md", ".markdown"):
            return markdown_sections(_read_text(path), source, path.stem)
        if suffix == ".txt":
            return [_section(_read_text(path), source, path.stem, "", None, 0)]
        if suffix == ".pdf":
            return _pdf_sections(path, source)
        if suffix in (".html", ".htm"):
            return _html_sections(path, source)
    except SpringletError:
        raise
    except Exception as exc:  # loaders raise anything from UnicodeError to pypdf's own
        raise DocumentLoadError(
            f"cannot read {source}: {exc}",
            hint="fix or remove the file, or narrow the collection's `glob`",
        ) from exc
    raise DocumentLoadError(
        f"cannot read {source}: unsupported file type '{suffix}'",
        hint=f"springlet reads {', '.join(SUPPORTED_SUFFIXES)}; narrow the source's `glob`",
    )


def _community_loader(name: str) -> Any:
    # langchain-community warns that it is being sunset; the loaders still work.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from langchain_community import document_loaders

        return getattr(document_loaders, name)


def _read_text(path: Path) -> str:
    loader = _community_loader("TextLoader")(str(path), autodetect_encoding=True)
    docs = loader.load()
    return str(docs[0].page_content) if docs else ""


def _section(
    text: str, source: str, title: str, heading: str, page: int | None, offset: int
) -> Document:
    metadata = {
        "source": source,
        "title": title,
        "heading": heading,
        "page": page,
        "offset": offset,
    }
    return Document(page_content=text, metadata=metadata)


def markdown_sections(text: str, source: str, fallback_title: str) -> list[Document]:
    """Cut Markdown at its headings; each section carries its heading path."""
    headings = [m for m in _HEADING.finditer(text) if not _inside_fence(text, m.start())]
    title = next((m.group(2) for m in headings if len(m.group(1)) == 1), fallback_title)
    sections: list[Document] = []
    stack: list[tuple[int, str]] = []
    start, heading = 0, ""
    for match in headings:
        if _has_body(text[start : match.start()]):
            sections.append(
                _section(text[start : match.start()], source, title, heading, None, start)
            )
            start = match.start()
        # else: a heading with nothing under it joins the next section (no title-only chunks)
        level = len(match.group(1))
        stack = [(lvl, name) for lvl, name in stack if lvl < level] + [(level, match.group(2))]
        heading = " > ".join(name for _, name in stack)
    if text[start:].strip():
        sections.append(_section(text[start:], source, title, heading, None, start))
    return sections


def _has_body(text: str) -> bool:
    return any(line.strip() and not _HEADING.match(line) for line in text.splitlines())


def _inside_fence(text: str, position: int) -> bool:
    return len(_FENCE.findall(text, 0, position)) % 2 == 1


def _pdf_sections(path: Path, source: str) -> list[Document]:
    pages = _community_loader("PyPDFLoader")(str(path), mode="page").load()
    title = path.stem
    sections = []
    for number, page in enumerate(pages, start=1):
        page_no = int(page.metadata.get("page", number - 1)) + 1
        title = str(page.metadata.get("title") or title)
        if page.page_content.strip():
            sections.append(_section(page.page_content, source, title, "", page_no, 0))
    for section in sections:
        section.metadata["title"] = title
    return sections


def _html_sections(path: Path, source: str) -> list[Document]:
    """HTML as Markdown-like text: scripts and styles dropped, h1-h6 become headings.

    (LangChain's BSHTMLLoader keeps script and style text and loses headings.)
    """
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(path.read_bytes(), "html.parser")
    for hidden in soup(["script", "style", "noscript", "template"]):
        hidden.decompose()
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    if soup.title:
        soup.title.decompose()
    for level in range(1, 7):
        for tag in soup.find_all(f"h{level}"):
            tag.replace_with(f"\n\n{'#' * level} {tag.get_text(' ', strip=True)}\n\n")
    for block in soup.find_all(["p", "li", "tr", "div", "br", "pre", "blockquote"]):
        block.insert_after("\n")
    text = re.sub(r"[ \t]+\n", "\n", soup.get_text())
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    sections = markdown_sections(text, source, title or path.stem)
    if title:
        for section in sections:
            section.metadata["title"] = title
    return sections
