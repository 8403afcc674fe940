"""Recompute the language means of `embedded:multilingual` from their sentences.

    PYTHONPATH=src .venv/bin/python bench/make_multilingual_centres.py

src/springlet/models/multilingual_centres.json holds 32 everyday Chinese/English sentence
pairs (weather, food, travel, ...: nothing about policies, nothing from a test set) and,
per model, the mean vector of the Chinese and of the English sentences (e5 averaged over
its `query: ` and `passage: ` modes). This script rewrites the vectors from the file's
sentences; tests/models/test_multilingual.py checks that the shipped vectors are what
it computes. Changing the file changes the embedder's identity: indexes built before
must then be rebuilt.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from springlet.models.multilingual_engines import E5Engine, UseEngine

CENTRES = Path(__file__).resolve().parent.parent / "src/springlet/models/multilingual_centres.json"


def compute_centres(pairs: list[list[str]]) -> dict[str, dict[str, list[float]]]:
    """Per model and language, the mean of the sentences' vectors (rounded to 1e-7)."""
    e5, use = E5Engine(), UseEngine()
    out: dict[str, dict[str, list[float]]] = {"e5": {}, "use": {}}
    for index, language in enumerate(("zh", "en")):
        texts = [pair[index] for pair in pairs]
        e5_mean = (
            e5.embed(texts, is_query=False).mean(axis=0)
            + e5.embed(texts, is_query=True).mean(axis=0)
        ) / 2
        out["e5"][language] = _rounded(e5_mean)
        out["use"][language] = _rounded(use.embed(texts).mean(axis=0))
    return out


def _rounded(vector: Any) -> list[float]:
    return [round(float(x), 7) for x in np.asarray(vector, dtype=np.float64)]


def main() -> None:
    data = json.loads(CENTRES.read_text(encoding="utf-8"))
    data.update(compute_centres(data["sentences"]))
    CENTRES.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {CENTRES} from {len(data['sentences'])} sentence pairs")


if __name__ == "__main__":
    main()
