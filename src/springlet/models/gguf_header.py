"""What a GGUF file says about itself: family, size, quantization, context, chat template.

A small reader of the GGUF header (format versions 2 and 3: magic, version, tensor and
key/value counts, the metadata key/values, then the tensor descriptions), reading only
the header, never the weights. Large arrays (the vocabulary) are skipped, not kept.

    meta = read_gguf_metadata(Path("model.gguf"))
    meta.family, meta.parameter_count, meta.quantization, meta.has_chat_template

A GGUF without `tokenizer.chat_template` is a base model: it continues text and was not
trained to follow chat turns, so springlet refuses it as a chat model (`kind == "base"`).
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from springlet.errors import ModelError

MAGIC = b"GGUF"

_SCALARS: dict[int, str] = {
    0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i",
    6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d",
}  # fmt: skip
_STRING, _ARRAY = 8, 9

# llama.cpp's `general.file_type` (enum llama_ftype) -> the usual quantization name
FILE_TYPES: dict[int, str] = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1",
    10: "Q2_K", 11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M",
    16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S",
    22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M",
    28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0",
    37: "TQ2_0", 38: "MXFP4",
}  # fmt: skip


class GGUFFormatError(ModelError):
    """The file is not a GGUF springlet can read."""


@dataclass(frozen=True)
class GGUFMetadata:
    """The header facts springlet shows and uses to decide how a model may be run."""

    name: str
    family: str
    parameter_count: int
    quantization: str
    context_length: int | None
    has_chat_template: bool
    block_count: int | None
    head_count_kv: int | None
    head_dim: int | None

    @property
    def kind(self) -> str:
        """`instruct` when the file carries a chat template, else `base`."""
        return "instruct" if self.has_chat_template else "base"

    @property
    def parameter_size(self) -> str:
        """Ollama-style size: `135M`, `7.6B`."""
        count = self.parameter_count
        if count >= 1_000_000_000:
            return f"{count / 1e9:.1f}B"
        if count >= 1_000_000:
            return f"{round(count / 1e6)}M"
        return f"{max(1, round(count / 1e3))}K"


class _Reader:
    def __init__(self, stream: BinaryIO, path: Path) -> None:
        self.stream, self.path = stream, path

    def unpack(self, fmt: str) -> Any:
        size = struct.calcsize(fmt)
        data = self.stream.read(size)
        if len(data) != size:
            raise GGUFFormatError(f"{self.path}: the GGUF header is truncated")
        return struct.unpack(fmt, data)[0]

    def string(self) -> str:
        length = self.unpack("<Q")
        if length > 1 << 26:
            raise GGUFFormatError(f"{self.path}: a header string claims {length} bytes")
        return self.stream.read(length).decode("utf-8", errors="replace")

    def value(self, kind: int, keep: bool = True) -> Any:
        if kind in _SCALARS:
            return self.unpack(_SCALARS[kind])
        if kind == _STRING:
            return self.string()
        if kind == _ARRAY:
            item_kind, count = self.unpack("<I"), self.unpack("<Q")
            if item_kind in _SCALARS and not keep:  # skip fixed-size items in one seek
                self.stream.seek(count * struct.calcsize(_SCALARS[item_kind]), 1)
                return None
            items = [self.value(item_kind, keep) for _ in range(count)]
            return items if keep else None
        raise GGUFFormatError(f"{self.path}: unknown GGUF value type {kind}")


def read_gguf_metadata(path: Path) -> GGUFMetadata:
    """Parse the header of the GGUF at `path` (refusing anything that is not one)."""
    with path.open("rb") as stream:
        reader = _Reader(stream, path)
        if stream.read(4) != MAGIC:
            raise GGUFFormatError(
                f"{path} is not a GGUF model file",
                hint="name a .gguf file (other formats must be converted to GGUF first)",
            )
        version = reader.unpack("<I")
        if version not in (2, 3):
            raise GGUFFormatError(f"{path}: GGUF version {version} is not supported (2 or 3)")
        tensor_count, kv_count = reader.unpack("<Q"), reader.unpack("<Q")
        meta: dict[str, Any] = {}
        for _ in range(kv_count):
            key = reader.string()
            kind = reader.unpack("<I")
            big = key.startswith("tokenizer.ggml.")  # vocabulary, merges, scores
            meta[key] = reader.value(kind, keep=not big)
        parameters = 0
        for _ in range(tensor_count):
            reader.string()
            dims = [reader.unpack("<Q") for _ in range(reader.unpack("<I"))]
            reader.unpack("<I")  # tensor type
            reader.unpack("<Q")  # data offset
            parameters += math.prod(dims)
    return _metadata(meta, parameters, path)


def _metadata(meta: dict[str, Any], parameters: int, path: Path) -> GGUFMetadata:
    arch = str(meta.get("general.architecture", ""))

    def arch_int(key: str) -> int | None:
        value = meta.get(f"{arch}.{key}")
        return int(value) if isinstance(value, int) else None

    heads, embedding = arch_int("attention.head_count"), arch_int("embedding_length")
    head_dim = arch_int("attention.key_length")
    if head_dim is None and heads and embedding:
        head_dim = embedding // heads
    file_type = meta.get("general.file_type")
    template = meta.get("tokenizer.chat_template")
    return GGUFMetadata(
        name=str(meta.get("general.name", path.stem)),
        family=arch,
        parameter_count=parameters,
        quantization=FILE_TYPES.get(file_type, f"type {file_type}")
        if isinstance(file_type, int)
        else "unknown",
        context_length=arch_int("context_length"),
        has_chat_template=isinstance(template, str) and bool(template.strip()),
        block_count=arch_int("block_count"),
        head_count_kv=arch_int("attention.head_count_kv") or heads,
        head_dim=head_dim,
    )
