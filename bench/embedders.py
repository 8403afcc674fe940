"""Offline embedders in one run: throughput, memory and bilingual retrieval quality.

1. Throughput: `embedded:multilingual` (e5-small 4-bit + USE-multilingual, fused) and its
   two halves against all-MiniLM-L6-v2's NumPy forward, on the 72 texts of
   tests/models/data/bilingual (24 documents, 48 questions), interleaved A B C D A B ...
   for `--rounds` rounds. Printed: sentences per wall second and per CPU second (process
   time: the machine is shared), median and min-max, and each embedder's ratio to
   MiniLM's rate in the same round.
2. Peak RSS: each embedder loaded and run once in a fresh interpreter.
3. Quality: the bilingual set through `springlet search` (hybrid) for each embedder:
   same-language paraphrase hit@1 and cross-language hit@3 out of 12.

    PYTHONPATH=src .venv/bin/python bench/embedders.py [--rounds 10] [--skip-quality]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent.parent / "tests/models/data/bilingual"
KINDS = {"zh-zh": 1, "en-en": 1, "en-zh": 3, "zh-en": 3}


def bilingual_texts() -> list[str]:
    docs = [p.read_text(encoding="utf-8") for p in sorted((DATA / "docs").glob("*.md"))]
    questions = json.loads((DATA / "questions.json").read_text(encoding="utf-8"))["questions"]
    return docs + [q["q"] for q in questions]


def embedders() -> dict[str, Callable[[list[str]], object]]:
    from springlet.models.minilm import MiniLMEmbeddings
    from springlet.models.multilingual import MultilingualEmbeddings
    from springlet.models.multilingual_engines import E5Engine, UseEngine

    e5, use = E5Engine(), UseEngine()
    return {
        "minilm-numpy": MiniLMEmbeddings().embed_array,
        "multilingual": MultilingualEmbeddings().embed_array,
        "e5-small-q4": lambda texts: e5.embed(texts, is_query=False),
        "use-m3": use.embed,
    }


def throughput(rounds: int) -> None:
    texts = bilingual_texts()
    paths = embedders()
    for run in paths.values():  # warm up: load weights, page them in
        run(texts)
    wall: dict[str, list[float]] = {name: [] for name in paths}
    cpu: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(rounds):
        for name, run in paths.items():
            w0, c0 = time.perf_counter(), time.process_time()
            run(texts)
            wall[name].append(len(texts) / (time.perf_counter() - w0))
            cpu[name].append(len(texts) / max(time.process_time() - c0, 1e-9))
    print(f"throughput on {len(texts)} bilingual texts, {rounds} interleaved rounds")
    print(f"{'embedder':14s} {'sent/s wall':>24s} {'sent/s CPU':>24s} {'x MiniLM (CPU)':>22s}")
    for name in paths:
        ratios = [a / b for a, b in zip(cpu[name], cpu["minilm-numpy"], strict=True)]
        print(
            f"{name:14s} {_spread(wall[name]):>24s} {_spread(cpu[name]):>24s} "
            f"{_spread(ratios, 2):>22s}"
        )


def _spread(values: list[float], digits: int = 0) -> str:
    fmt = f"{{:.{digits}f}}"
    return (
        f"{fmt.format(statistics.median(values))} "
        f"({fmt.format(min(values))}-{fmt.format(max(values))})"
    )


# VmHWM, not getrusage's ru_maxrss: on Linux a child's ru_maxrss starts at its parent's
_RSS_SCRIPT = """
import sys
sys.path.insert(0, {src!r})
from bench_embedders_target import texts
{setup}
run(texts)
status = open("/proc/self/status").read().split("VmHWM:")[1]
print(status.split()[0])
"""

_SETUPS = {
    "minilm-numpy": "from springlet.models.minilm import MiniLMEmbeddings\n"
    "run = MiniLMEmbeddings().embed_array",
    "multilingual": "from springlet.models.multilingual import MultilingualEmbeddings\n"
    "run = MultilingualEmbeddings().embed_array",
}


def peak_rss() -> None:
    src = str(Path(__file__).resolve().parent.parent / "src")
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "bench_embedders_target.py").write_text(
            f"texts = {bilingual_texts()!r}\n", encoding="utf-8"
        )
        for name, setup in _SETUPS.items():
            code = _RSS_SCRIPT.format(src=src, setup=setup)
            out = subprocess.run(
                [sys.executable, "-c", code], cwd=tmp, capture_output=True, text=True, check=True
            )
            print(f"peak RSS {name:14s} {int(out.stdout.split()[-1]) / 1024:.0f} MB")


def quality(ref: str) -> dict[str, int]:
    """Hits per kind of the bilingual set through `springlet search` on `ref`."""
    from click.testing import CliRunner

    from springlet.cli import main
    from springlet.workspace.knowledge import close_shared_stores

    questions = json.loads((DATA / "questions.json").read_text(encoding="utf-8"))["questions"]
    hits = dict.fromkeys(KINDS, 0)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copytree(DATA / "docs", root / "knowledge/policies")
        (root / "knowledge/policies.yaml").write_text(
            f"name: policies\nembeddings: {ref}\nsources:\n  - path: knowledge/policies/\n",
            encoding="utf-8",
        )
        runner = CliRunner()
        assert runner.invoke(main, ["ingest", "-w", str(root)]).exit_code == 0
        for item in questions:
            k = KINDS[item["kind"]]
            argv = ["search", "policies", item["q"], "--json", "-k", str(k), "-w", str(root)]
            found = [Path(h["path"]).name for h in json.loads(runner.invoke(main, argv).stdout)]
            hits[item["kind"]] += item["doc"] in found
        close_shared_stores()
    return hits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--skip-quality", action="store_true")
    args = parser.parse_args()
    np.set_printoptions(precision=3)
    throughput(args.rounds)
    peak_rss()
    if not args.skip_quality:
        print("bilingual set through `springlet search` (hybrid), hits out of 12:")
        print("  zh-zh/en-en: paraphrase hit@1; en-zh/zh-en: question->document hit@3")
        for ref in ("embedded:all-minilm", "embedded:multilingual"):
            print(f"  {ref:24s} {quality(ref)}")


if __name__ == "__main__":
    main()
