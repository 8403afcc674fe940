"""Model-path speed in one run: embedded tokens/s through springlet vs raw
llama-cpp-python, then the Ollama path's time-to-first-token overhead.

Embedded: the same ChatML prompt, the same GGUF and load options, greedy decoding with
the same token budget, streamed end to end (prompt evaluation included) by
  raw        - llama_cpp.Llama.create_completion(stream=True), its own Llama instance
  springlet  - EmbeddedChatModel.stream (LangChain chat model, callbacks and all)
interleaved so that both see the same machine load. Aim: springlet >= 95 % of raw.
Ollama: `measure()` from bench/ollama_ttft.py (aim: <= 5 ms over the raw client).

    .venv/bin/python bench/models.py [--runs 5] [--tokens 128]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from langchain_core.messages import HumanMessage, SystemMessage

from springlet.models.embedded import embedded_chat_model
from springlet.models.embedded_runtime import load_kwargs, new_llama
from springlet.models.options import ModelOptions

SYSTEM = "You are a helpful assistant."
QUESTION = "Write a long, detailed story about a lighthouse keeper and a storm."


def embedded_tokens_per_second(runs: int, tokens: int) -> dict[str, float]:
    """Median tokens/s of each path (completion tokens over wall time)."""
    options = ModelOptions(temperature=0, seed=0, num_predict=tokens)
    model = embedded_chat_model("smollm2", options)
    loaded = model.loaded()
    # same load as springlet's (no AMX repacking where it crashes), then raw calls
    raw = new_llama(model.model_path, load_kwargs(options))
    turns = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": QUESTION}]
    prompt = loaded.render_chat(turns, add_generation_prompt=True)
    messages = [SystemMessage(SYSTEM), HumanMessage(QUESTION)]

    def through_raw() -> int:
        text = ""
        for chunk in raw.create_completion(
            prompt, max_tokens=tokens, temperature=0, seed=0, stop=["<|im_end|>"], stream=True
        ):
            text += chunk["choices"][0]["text"]
        # counted as springlet counts its output_tokens, so the two are comparable
        return len(raw.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def through_springlet() -> int:
        usage = 0
        for chunk in model.stream(messages):
            if chunk.usage_metadata:
                usage = chunk.usage_metadata["output_tokens"]
        return usage

    paths: dict[str, Callable[[], int]] = {"raw": through_raw, "springlet": through_springlet}
    for path in paths.values():  # warm up: page the weights in, fill the prompt caches
        path()
    rates: dict[str, list[float]] = {name: [] for name in paths}
    counts: dict[str, int] = {}
    for _ in range(runs):
        for name, path in paths.items():
            started = time.perf_counter()
            counts[name] = path()
            rates[name].append(counts[name] / (time.perf_counter() - started))
    result = {f"{name}_tokens_per_s": statistics.median(v) for name, v in rates.items()}
    result["raw_tokens"] = counts["raw"]
    result["springlet_tokens"] = counts["springlet"]
    result["ratio"] = result["springlet_tokens_per_s"] / result["raw_tokens_per_s"]
    return result


def ollama_ttft() -> None:
    path = Path(__file__).with_name("ollama_ttft.py")
    if not path.exists():
        print("ollama TTFT: bench/ollama_ttft.py is missing (written by the Ollama engineer)")
        return
    spec = importlib.util.spec_from_file_location("ollama_ttft", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.measure()
    overhead = result["springlet_overhead_ms"]
    verdict = "ok" if overhead <= 5 else "over the 5 ms aim"
    print(
        f"ollama TTFT   raw client {result['raw_ttft_ms']:.2f} ms   springlet "
        f"{result['springlet_ttft_ms']:.2f} ms   overhead {overhead:+.2f} ms ({verdict})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tokens", type=int, default=128)
    args = parser.parse_args()
    result = embedded_tokens_per_second(args.runs, args.tokens)
    verdict = "ok" if result["ratio"] >= 0.95 else "under the 95 % aim"
    print(
        f"embedded:smollm2   raw llama-cpp-python {result['raw_tokens_per_s']:.1f} tok/s "
        f"({result['raw_tokens']:.0f} tokens)   springlet {result['springlet_tokens_per_s']:.1f} "
        f"tok/s ({result['springlet_tokens']:.0f} tokens)   ratio {100 * result['ratio']:.1f} % "
        f"({verdict})"
    )
    ollama_ttft()


if __name__ == "__main__":
    main()
