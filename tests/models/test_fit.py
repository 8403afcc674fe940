"""The memory-fit estimate: weights by quantization, KV cache by shape, the verdict."""

from __future__ import annotations

import pytest

from springlet.models.fit import GIB, estimate_fit, machine_memory
from springlet.models.ollama_catalog import ModelInfo

QWEN_7B = ModelInfo(
    name="qwen2.5:7b",
    parameter_size="7.6B",
    quantization_level="Q4_K_M",
    context_length=32768,
    parameter_count=7_615_616_512,
    block_count=28,
    head_count_kv=4,
    head_dim=128,
)


def test_weights_follow_parameters_and_quantization() -> None:
    q4 = estimate_fit(QWEN_7B, 4096, memory=(None, None))
    f16 = estimate_fit(
        ModelInfo(**{**QWEN_7B.__dict__, "quantization_level": "F16"}), 4096, memory=(None, None)
    )
    assert q4.weights_bytes == int(7_615_616_512 * 4.85 / 8)
    assert f16.weights_bytes == 7_615_616_512 * 2
    assert 4.0 * GIB < q4.weights_bytes < 4.5 * GIB


def test_kv_cache_scales_with_context_and_parallel_requests() -> None:
    one = estimate_fit(QWEN_7B, 32768, 1, memory=(None, None))
    # 2 (K,V) x 28 layers x 4 KV heads x 128 x 2 bytes = 56 KiB per token
    assert one.kv_cache_bytes == 57_344 * 32768
    four = estimate_fit(QWEN_7B, 32768, 4, memory=(None, None))
    assert four.kv_cache_bytes == 4 * one.kv_cache_bytes
    assert one.exact_architecture


def test_unknown_shape_falls_back_to_parameter_count() -> None:
    bare = ModelInfo(name="x", parameter_size="8B", quantization_level="Q8_0")
    estimate = estimate_fit(bare, 8192, memory=(None, None))
    assert not estimate.exact_architecture
    assert estimate.kv_cache_bytes == 8 * 1024 * 8 * 8192
    assert estimate.weights_bytes == int(8e9 * 8.5 / 8)


def test_verdict_against_machine_memory() -> None:
    small = estimate_fit(QWEN_7B, 4096, memory=(64 * GIB, 48 * GIB))
    assert small.fits and "fits in this machine's 64.0 GiB" in small.verdict()
    tight = estimate_fit(QWEN_7B, 4096, memory=(8 * GIB, 1 * GIB))
    assert tight.fits and "only after freeing memory" in tight.verdict()
    big = estimate_fit(QWEN_7B, 131072, 4, memory=(16 * GIB, 8 * GIB))
    assert big.fits is False and "does NOT fit" in big.verdict()
    assert estimate_fit(QWEN_7B, memory=(None, None)).fits is None


def test_default_context_is_what_ollama_uses() -> None:
    assert estimate_fit(QWEN_7B, memory=(None, None)).context_length == 4096


def test_machine_memory_is_read() -> None:
    total, available = machine_memory()
    assert total is not None and total > 0
    assert available is None or 0 < available <= total


@pytest.mark.integration
def test_fit_from_a_served_model(ollama_server: object) -> None:
    from springlet.models.ollama_catalog import OllamaCatalog
    from springlet.testing.ollama_server import OllamaTestServer

    assert isinstance(ollama_server, OllamaTestServer)
    info = OllamaCatalog(ollama_server.url).show("qwen2.5:7b")
    assert (info.block_count, info.head_count_kv, info.head_dim) == (28, 4, 128)
    assert estimate_fit(info, 8192).exact_architecture
