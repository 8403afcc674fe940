"""How stable the embedded chat model's answers are across floating-point paths, and how
its latency holds up on a busy machine.

1. Stability: 10 short questions answered greedily (temperature 0, repeat_penalty 1.1,
   springlet's embedded decoding) with the baseline load (llama.cpp defaults as springlet
   sets them) and with one change at a time: flash attention on, an f32 KV cache, one
   thread instead of all cores, a small batch (n_batch 8). Printed: how many of the 10
   answers differ from the baseline's, word for word.
2. Contention: one 80-token answer, timed in a fresh process for each OpenMP setting
   (libgomp reads them when it loads) while `--busy` other processes spin on the cores.
   Printed: median and min-max wall seconds over `--rounds` rounds, interleaved.

    PYTHONPATH=src .venv/bin/python bench/chat_stability.py [--model smollm2] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

QUESTIONS = [
    "What is the capital of France?",
    "Name three primary colors.",
    "How many days are in a leap year?",
    "What is 12 times 12?",
    "Who wrote Romeo and Juliet?",
    "What gas do plants take in from the air?",
    "Give one word that rhymes with cat.",
    "What is the boiling point of water in Celsius?",
    "Translate 'thank you' into French.",
    "What is the largest planet in the solar system?",
]
VARIANTS: dict[str, dict[str, Any]] = {
    "baseline": {},
    "flash attention": {"flash_attn": True},
    "f32 KV cache": {"type_k": 0, "type_v": 0},  # GGML_TYPE_F32 (default f16)
    "1 thread": {"n_threads": 1, "n_threads_batch": 1},
    "n_batch 8": {"n_batch": 8, "n_ubatch": 8},
}
DECODING = {"temperature": 0.0, "repeat_penalty": 1.1, "seed": 0}


def answers(model: str, extra: dict[str, Any], tokens: int = 48) -> list[str]:
    """The greedy answers to QUESTIONS with `extra` llama.cpp load arguments."""
    from springlet.models.embedded_runtime import LoadedModel, load_kwargs, new_llama
    from springlet.models.gguf import locate_gguf
    from springlet.models.options import ModelOptions

    path = locate_gguf(model)
    llama = new_llama(path, {**load_kwargs(ModelOptions(num_ctx=1024)), **extra})
    template = str(llama.metadata.get("tokenizer.chat_template"))
    loaded = LoadedModel(path=path, llama=llama, chat_template=template, load_seconds=0.0)
    out = []
    for question in QUESTIONS:
        turns = [{"role": "user", "content": question}]
        prompt = loaded.render_chat(turns, add_generation_prompt=True)
        result = llama.create_completion(
            prompt, max_tokens=tokens, stop=loaded.end_of_turn_markers(), **DECODING
        )
        out.append(str(result["choices"][0]["text"]).strip())
        llama.reset()
    del llama
    return out


def stability(model: str) -> None:
    print(f"stability of {model}: answers differing from the baseline (of {len(QUESTIONS)})")
    base = answers(model, {})
    for name, extra in VARIANTS.items():
        if name == "baseline":
            continue
        changed = sum(a != b for a, b in zip(base, answers(model, extra), strict=True))
        print(f"  {name:18s} {changed:2d} / {len(QUESTIONS)} changed")
    print(f"  baseline answer 1: {base[0][:70]!r}")


_TIMED = """
import json, sys, time
sys.path.insert(0, {src!r})
from springlet.models.embedded_runtime import LoadedModel, load_kwargs, new_llama
from springlet.models.gguf import locate_gguf
from springlet.models.options import ModelOptions
path = locate_gguf({model!r})
llama = new_llama(path, load_kwargs(ModelOptions(num_ctx=1024, num_thread={threads})))
prompt = ("<|im_start|>user\\nWrite a short story about a lighthouse.<|im_end|>\\n"
          "<|im_start|>assistant\\n")
llama.create_completion(prompt, max_tokens=4, temperature=0)
started = time.perf_counter()
llama.create_completion(prompt, max_tokens=80, temperature=0, stop=["<|im_end|>"])
print(json.dumps(time.perf_counter() - started))
"""

SETTINGS: dict[str, tuple[int, dict[str, str]]] = {
    "2 threads, springlet's GOMP_SPINCOUNT": (2, {}),
    "2 threads, OpenMP default wait": (2, {"GOMP_SPINCOUNT": "300000"}),
    "2 threads, OMP_WAIT_POLICY=passive": (2, {"OMP_WAIT_POLICY": "passive"}),
    "1 thread, springlet's GOMP_SPINCOUNT": (1, {}),
    "1 thread, OMP_WAIT_POLICY=passive": (1, {"OMP_WAIT_POLICY": "passive"}),
}


def _spin(stop_at: float) -> None:
    while time.time() < stop_at:
        pass


def contention(model: str, rounds: int, busy: int) -> None:
    src = str(Path(__file__).resolve().parent.parent / "src")
    seconds: dict[str, list[float]] = {name: [] for name in SETTINGS}
    spinners = [
        multiprocessing.Process(target=_spin, args=(time.time() + 3600,)) for _ in range(busy)
    ]
    for spinner in spinners:
        spinner.start()
    try:
        for _ in range(rounds):
            for name, (threads, env) in SETTINGS.items():
                code = _TIMED.format(src=src, model=model, threads=threads)
                run_env = {
                    k: v for k, v in os.environ.items() if not k.startswith(("OMP_", "GOMP_"))
                }
                out = subprocess.run(
                    [sys.executable, "-c", code],
                    env={**run_env, **env},
                    capture_output=True,
                    text=True,
                    check=True,
                )
                seconds[name].append(float(json.loads(out.stdout.split()[-1])))
    finally:
        for spinner in spinners:
            spinner.terminate()
            spinner.join()
    print(f"one 80-token answer beside {busy} busy processes ({rounds} rounds), seconds:")
    for name, values in seconds.items():
        print(
            f"  {name:40s} {statistics.median(values):5.1f} ({min(values):.1f}-{max(values):.1f})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="smollm2")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--busy", type=int, default=2)
    parser.add_argument("--skip-contention", action="store_true")
    args = parser.parse_args()
    stability(args.model)
    if not args.skip_contention:
        contention(args.model, args.rounds, args.busy)


if __name__ == "__main__":
    main()
