"""How much of a text is Chinese, Japanese or Korean, and whether an embedder suits that.

`cjk_share` counts CJK characters among all letters (a CJK character counts as one, like
one Latin letter). The multilingual embedder uses it to remove each language's mean
direction from a vector; `springlet ingest` uses it (through
`springlet.workspace.knowledge`) to warn when a mostly-CJK collection is embedded by an
English-only model:

    language_warning("policies", "embedded:all-minilm@1a2b", ["年假制度 ..."])
    # "collection 'policies' is 96% Chinese/Japanese/Korean text, but ..."
"""

from __future__ import annotations

import re
from collections.abc import Iterable

CJK_CHARACTER = "[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]"
"""One Chinese, Japanese (kana) or Korean character, or a CJK compatibility ideograph: the
regex `cjk_share` counts with and the knowledge stores split words on."""
_CJK = re.compile(CJK_CHARACTER)

MOSTLY = 0.5
"""Share of CJK letters above which a collection counts as mostly CJK."""

SAMPLE_FILES = 20
SAMPLE_CHARS = 4000
"""A collection is judged on up to 20 of its files, 4000 characters of each."""

ENGLISH_ONLY = (
    "embedded:all-minilm",
    "ollama:all-minilm",
    "ollama:nomic-embed-text",
    "ollama:mxbai-embed-large",
    "ollama:snowflake-arctic-embed:",
    "ollama:snowflake-arctic-embed@",
)
"""Identity prefixes of embedders trained on English only (their vocabularies split CJK
text into characters they barely know)."""


def cjk_share(text: str) -> float:
    """CJK characters / all letters of `text` (0.0 for a text without letters)."""
    letters = sum(1 for ch in text if ch.isalpha())
    if not letters:
        return 0.0
    return min(1.0, len(_CJK.findall(text)) / letters)


def is_english_only(identity: str) -> bool:
    """Whether an embedder identity (`embedded:all-minilm@...`) names an English-only model."""
    return identity.startswith(ENGLISH_ONLY)


def language_warning(collection: str, identity: str, texts: Iterable[str]) -> str | None:
    """A warning naming the better embedder when mostly-CJK `texts` meet an English model."""
    if not is_english_only(identity):
        return None
    letters = cjk = 0
    for text in texts:
        n = sum(1 for ch in text if ch.isalpha())
        letters += n
        cjk += min(n, len(_CJK.findall(text)))
    if not letters or cjk / letters < MOSTLY:
        return None
    model = identity.split("@")[0]
    return (
        f"collection '{collection}' is {100 * cjk // letters}% Chinese/Japanese/Korean text, "
        f"but its embedder {model} is English-only and retrieves such text poorly; set "
        f"`embeddings: embedded:multilingual` in knowledge/{collection}.yaml (offline; "
        "scripts/setup installs it) or an Ollama model such as 'ollama:bge-m3', then run "
        f"`springlet ingest {collection} --rebuild`"
    )
