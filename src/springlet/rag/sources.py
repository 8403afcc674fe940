"""A retrieved passage and where it came from: what agents cite and users see."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

SNIPPET_CHARS = 240


@dataclass(frozen=True)
class Source:
    """One chunk returned by retrieval, with a score in [0, 1] (higher is better)."""

    collection: str
    chunk_id: int
    path: str
    """Relative to the workspace root, with forward slashes."""
    heading: str
    """Heading path inside the document, e.g. "Setup > Reset"; "" when there is none."""
    title: str
    page: int | None
    start: int
    """Character offsets of the chunk in the loaded text of its file (or page)."""
    end: int
    score: float
    text: str

    @property
    def snippet(self) -> str:
        flat = " ".join(self.text.split())
        return flat if len(flat) <= SNIPPET_CHARS else flat[: SNIPPET_CHARS - 1] + "…"

    @property
    def citation(self) -> str:
        """`path > heading (p. 3)`: how a source is named to the model and the user."""
        parts = [self.path]
        if self.heading:
            parts.append(self.heading)
        cite = " > ".join(parts)
        return f"{cite} (p. {self.page})" if self.page is not None else cite

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for run results, events and `springlet search --json`."""
        data = asdict(self)
        data.pop("text")
        data["snippet"] = self.snippet
        data["score"] = round(self.score, 4)
        return data
