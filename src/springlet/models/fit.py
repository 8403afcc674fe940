"""Will a model fit in this machine's memory? A back-of-the-envelope estimate.

    weights  = parameters x bits per weight of the quantization / 8
    KV cache = 2 (K and V) x layers x KV heads x head size x context x parallel x 2 bytes (f16)
    overhead = a compute buffer that grows with the context, plus a fixed runtime share

It is an estimate, meant to answer "will qwen2.5:7b at 32k context fit on this laptop?"
before a long download; the real numbers depend on the runtime and the GPU split.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from springlet.models.ollama_catalog import ModelInfo

GIB = 1024**3

# Effective bits per weight of llama.cpp quantizations (block scales included).
BITS_PER_WEIGHT: dict[str, float] = {
    "F32": 32.0,
    "F16": 16.0,
    "BF16": 16.0,
    "Q8_0": 8.5,
    "Q6_K": 6.56,
    "Q5_K_M": 5.69,
    "Q5_K_S": 5.54,
    "Q5_1": 6.0,
    "Q5_0": 5.5,
    "Q4_K_M": 4.85,
    "Q4_K_S": 4.58,
    "Q4_1": 5.0,
    "Q4_0": 4.5,
    "IQ4_XS": 4.25,
    "IQ4_NL": 4.5,
    "Q3_K_L": 4.27,
    "Q3_K_M": 3.91,
    "Q3_K_S": 3.5,
    "Q2_K": 2.63,
    "MXFP4": 4.25,
}
DEFAULT_BITS = 4.85
"""Ollama's usual default quantization (Q4_K_M) when the level is unknown."""
KV_BYTES_PER_ELEMENT = 2  # f16 cache, Ollama's default
FALLBACK_KV_BYTES_PER_TOKEN_PER_BILLION = 8 * 1024
"""When the architecture is unknown: about what grouped-query-attention models need."""
RUNTIME_OVERHEAD_BYTES = 512 * 1024**2


@dataclass(frozen=True)
class FitEstimate:
    """Memory a model needs at a context length and parallelism, next to the machine's."""

    model: str
    context_length: int
    parallel: int
    weights_bytes: int
    kv_cache_bytes: int
    overhead_bytes: int
    machine_total_bytes: int | None
    machine_available_bytes: int | None
    bits_per_weight: float
    exact_architecture: bool
    """False when the KV cache size came from the rough per-parameter fallback."""

    @property
    def total_bytes(self) -> int:
        return self.weights_bytes + self.kv_cache_bytes + self.overhead_bytes

    @property
    def fits(self) -> bool | None:
        """True/False against the machine's total memory; None when that is unknown."""
        if self.machine_total_bytes is None:
            return None
        return self.total_bytes <= self.machine_total_bytes

    def verdict(self) -> str:
        need = f"needs about {self.total_bytes / GIB:.1f} GiB"
        if self.machine_total_bytes is None:
            return f"{self.model} {need} (machine memory unknown)"
        have = f"{self.machine_total_bytes / GIB:.1f} GiB"
        if not self.fits:
            return f"{self.model} {need}: does NOT fit in this machine's {have}"
        available = self.machine_available_bytes
        if available is not None and self.total_bytes > available:
            return f"{self.model} {need}: fits in {have}, but only after freeing memory"
        return f"{self.model} {need}: fits in this machine's {have}"


def parameter_count(info: ModelInfo) -> int:
    """Parameters from `/api/show`'s model_info, else from the `7.6B`-style size."""
    return info.parameter_count or parse_parameter_size(info.parameter_size)


def parse_parameter_size(size: str) -> int:
    """Ollama's `parameter_size` as a count: `"7.6B"` -> 7_600_000_000, `"135M"` -> 135e6."""
    match = re.fullmatch(r"\s*([\d.]+)\s*([KMBT]?)\s*", size.upper())
    if not match:
        return 0
    scale = {"": 1, "K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}[match.group(2)]
    return int(float(match.group(1)) * scale)


def bits_per_weight(quantization_level: str) -> float:
    return BITS_PER_WEIGHT.get(quantization_level.upper(), DEFAULT_BITS)


def kv_cache_bytes(info: ModelInfo, context_length: int, parallel: int) -> tuple[int, bool]:
    """KV cache size, and whether it came from the model's real shape."""
    tokens = context_length * parallel
    if info.block_count and info.head_count_kv and info.head_dim:
        per_token = 2 * info.block_count * info.head_count_kv * info.head_dim
        return per_token * KV_BYTES_PER_ELEMENT * tokens, True
    billions = max(parameter_count(info) / 1e9, 0.1)
    return int(FALLBACK_KV_BYTES_PER_TOKEN_PER_BILLION * billions * tokens), False


def machine_memory() -> tuple[int | None, int | None]:
    """(total, available) bytes of RAM, or None where the platform cannot tell."""
    try:
        page = os.sysconf("SC_PAGE_SIZE")
        total = page * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None, None
    try:
        available = page * os.sysconf("SC_AVPHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        available = None
    return total, available


def estimate_fit(
    info: ModelInfo,
    context_length: int | None = None,
    parallel: int = 1,
    memory: tuple[int | None, int | None] | None = None,
) -> FitEstimate:
    """The estimate for `info` at `context_length` (default: the model's own, capped at
    the 4096 Ollama uses by default) serving `parallel` requests at once."""
    context = context_length or min(info.context_length or 4096, 4096)
    bits = bits_per_weight(info.quantization_level)
    weights = int(parameter_count(info) * bits / 8)
    kv, exact = kv_cache_bytes(info, context, parallel)
    # llama.cpp's compute buffer grows roughly with the batch of context it processes
    overhead = RUNTIME_OVERHEAD_BYTES + kv // 8
    total_memory, available = memory if memory is not None else machine_memory()
    return FitEstimate(
        model=info.name,
        context_length=context,
        parallel=parallel,
        weights_bytes=weights,
        kv_cache_bytes=kv,
        overhead_bytes=overhead,
        machine_total_bytes=total_memory,
        machine_available_bytes=available,
        bits_per_weight=bits,
        exact_architecture=exact,
    )
