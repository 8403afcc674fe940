"""Load .md, .txt, .pdf and .html files into sections that know where they came from.

A section is a LangChain `Document` whose metadata says `source` (workspace-relative
path), `title`, `heading` (the heading path, "Setup > Reset"), `page` (PDF pages,
1-based, else None) and `offset` (where the section starts in the file's loaded text,
or in its page). The splitter cuts sections into chunks and adds chunk offsets.

PDF goes through LangChain community's `PyPDFLoader`. Text and Markdown are decoded here
(`read_text`: a BOM, UTF-8, then a detected encoding; LangChain's TextLoader needs the
undeclared chardet for that), and Markdown is cut at its headings here, in one pass,
because LangChain's header splitter drops the character offsets we keep. HTML is read
with BeautifulSoup and cut at its h1-h6 the same way (offsets then count in the extracted text).
"""

from __future__ import annotations

import bisect
import codecs
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


def load_file(path: Path, source: str, notes: list[str] | None = None) -> list[Document]:
    """The sections of one file; `source` is the path recorded in every chunk. What is
    worth a warning (an encoding guessed) is appended to `notes`."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".md", ".markdown"):
            return markdown_sections(read_text(path, source, notes), source, path.stem)
        if suffix == ".txt":
            return [_section(read_text(path, source, notes), source, path.stem, "", None, 0)]
        if suffix == ".pdf":
            return _pdf_sections(path, source)
        if suffix in (".html", ".htm"):
            return _html_sections(path, source)
    except SpringletError:
        raise
    except FileNotFoundError as exc:
        raise DocumentLoadError(
            f"cannot read {source}: the file is gone (deleted while ingesting?)",
            hint="run the ingest again once the files are in place",
        ) from exc
    except Exception as exc:  # loaders raise anything from OSError to pypdf's own
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


_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16: its BOM starts with UTF-16 LE's
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def read_text(path: Path, source: str, notes: list[str] | None = None) -> str:
    """A text file's content: a BOM's encoding, else UTF-8, else the encoding
    charset-normalizer finds (a declared dependency), else Latin-1 (every byte decodes),
    the last two with a note. A file with NUL bytes is binary and refused."""
    data = path.read_bytes()
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    if b"\x00" in data[:8192]:
        raise DocumentLoadError(
            f"cannot read {source}: it is a binary file, not text",
            hint="remove it from the knowledge folder or narrow the collection's `glob`",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    encoding = _guess_encoding(data)
    if notes is not None:
        notes.append(f"{source} is not UTF-8; read it as {encoding} (guessed)")
    return data.decode(encoding, errors="replace")


def _guess_encoding(data: bytes) -> str:
    """charset-normalizer's pick, except that Windows-1252 wins among close candidates:
    on short Western text it ranks cp1250/cp1257 first as often as not, and cp1252 (a
    superset of Latin-1's printable range) is by far the most common non-UTF-8 document."""
    from charset_normalizer import from_bytes

    candidates = list(from_bytes(data))
    if not candidates:
        return "latin-1"  # every byte decodes
    best = candidates[0]
    western = next(
        (c for c in candidates if c.encoding == "cp1252" and c.chaos <= best.chaos + 0.1), None
    )
    return (western or best).encoding


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
    fences = [m.start() for m in _FENCE.finditer(text)]  # one pass: loading stays linear
    headings = [m for m in _HEADING.finditer(text) if not _inside_fence(fences, m.start())]
    title = next((m.group(2) for m in headings if len(m.group(1)) == 1), fallback_title)
    sections: list[Document] = []
    stack: list[tuple[int, str]] = []
    start, heading, scanned = 0, "", 0
    for match in headings:
        # only the text since the last heading can hold a body: what came before it had none
        if _has_body(text[scanned : match.start()]):
            sections.append(
                _section(text[start : match.start()], source, title, heading, None, start)
            )
            start = match.start()
        # else: a heading with nothing under it joins the next section (no title-only chunks)
        scanned = match.end()
        level = len(match.group(1))
        stack = [(lvl, name) for lvl, name in stack if lvl < level] + [(level, match.group(2))]
        heading = " > ".join(name for _, name in stack)
    if text[start:].strip():
        sections.append(_section(text[start:], source, title, heading, None, start))
    return sections


def _has_body(text: str) -> bool:
    return any(line.strip() and not _HEADING.match(line) for line in text.splitlines())


def _inside_fence(fences: list[int], position: int) -> bool:
    """Whether `position` is inside a code fence, given every fence line's start, sorted."""
    return bisect.bisect_left(fences, position) % 2 == 1


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
