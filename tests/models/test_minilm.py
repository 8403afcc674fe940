"""The numpy all-MiniLM-L6-v2 gives sentence-transformers' vectors (reference file)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest

from springlet.models import minilm
from springlet.models.minilm import DIMENSION, MiniLMEmbeddings

REFERENCE = Path(__file__).parent / "data" / "minilm_reference.json"


@pytest.fixture(scope="module")
def embedder() -> MiniLMEmbeddings:
    return MiniLMEmbeddings()


def test_vectors_match_sentence_transformers(embedder: MiniLMEmbeddings) -> None:
    data = json.loads(REFERENCE.read_text(encoding="utf-8"))
    expected = np.array(data["vectors"], dtype=np.float32)
    ours = embedder.embed_array(data["sentences"])
    assert ours.shape == expected.shape == (len(data["sentences"]), DIMENSION)
    assert float(np.abs(ours - expected).max()) < 1e-4


def test_reference_covers_chinese_identifiers_and_long_text() -> None:
    sentences = json.loads(REFERENCE.read_text(encoding="utf-8"))["sentences"]
    assert any("SKU-4471-B" in s for s in sentences)
    assert any("\u732b" in s for s in sentences)
    assert max(len(s.split()) for s in sentences) > 256  # truncation is exercised


def test_vectors_are_unit_length_and_batching_does_not_change_them(
    embedder: MiniLMEmbeddings,
) -> None:
    texts = ["short", "a much longer sentence about refunds and orders", "third one"]
    batched = np.array(embedder.embed_documents(texts))
    single = np.array([embedder.embed_query(t) for t in texts])
    assert np.allclose(np.linalg.norm(batched, axis=1), 1.0, atol=1e-5)
    assert float(np.abs(batched - single).max()) < 1e-5


def test_similar_sentences_are_closer(embedder: MiniLMEmbeddings) -> None:
    a, b, c = embedder.embed_documents(
        ["How do I get my money back?", "I want a refund.", "The weather is sunny today."]
    )
    assert np.dot(a, b) > np.dot(a, c)


def test_identity_pins_the_weights(embedder: MiniLMEmbeddings) -> None:
    identity = embedder.identity
    assert identity.startswith("embedded:all-minilm@")
    assert len(identity.split("@")[1]) == 12
    assert embedder.dimension == 384 and embedder.normalized


def test_threads_share_one_model(embedder: MiniLMEmbeddings) -> None:
    results: list[list[float]] = []
    threads = [
        threading.Thread(target=lambda: results.append(embedder.embed_query("same text")))
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4
    assert all(np.allclose(r, results[0]) for r in results)


def test_empty_input(embedder: MiniLMEmbeddings) -> None:
    assert embedder.embed_documents([]) == []


@pytest.fixture(scope="module")
def both_runtimes() -> dict[str, minilm._Encoder]:
    if not minilm.onnxruntime_available():
        pytest.skip("onnxruntime / onnx not installed")
    return {name: minilm._Encoder(minilm.model_dir(), name) for name in ("numpy", "onnxruntime")}


def test_onnx_graph_matches_the_reference_and_numpy(
    both_runtimes: dict[str, minilm._Encoder],
) -> None:
    data = json.loads(REFERENCE.read_text(encoding="utf-8"))
    expected = np.array(data["vectors"], dtype=np.float32)
    fast = both_runtimes["onnxruntime"].embed(data["sentences"])
    slow = both_runtimes["numpy"].embed(data["sentences"])
    assert float((fast * expected).sum(axis=1).min()) >= 0.999
    assert float(np.abs(fast - expected).max()) < 1e-4
    assert float((fast * slow).sum(axis=1).min()) >= 0.99999


def test_both_runtimes_rank_the_bilingual_set_alike(
    both_runtimes: dict[str, minilm._Encoder],
) -> None:
    data = Path(__file__).parent / "data" / "bilingual"
    docs = [p.read_text(encoding="utf-8") for p in sorted((data / "docs").glob("*.md"))]
    questions = json.loads((data / "questions.json").read_text(encoding="utf-8"))["questions"]
    queries = [q["q"] for q in questions]
    rankings = {}
    for name, encoder in both_runtimes.items():
        scores = encoder.embed(queries) @ encoder.embed(docs).T
        rankings[name] = np.argsort(-scores, axis=1)[:, :5]
    assert (rankings["numpy"] == rankings["onnxruntime"]).all()


def test_default_runtime_is_onnxruntime_when_installed() -> None:
    if not minilm.onnxruntime_available():
        pytest.skip("onnxruntime / onnx not installed")
    assert minilm._shared_encoder().runtime == "onnxruntime"


def test_without_onnxruntime_the_numpy_forward_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(minilm, "onnxruntime_available", lambda: False)
    encoder = minilm._Encoder(minilm.model_dir(), "auto")
    assert encoder.runtime == "numpy"
    assert encoder.embed(["hello"]).shape == (1, DIMENSION)
