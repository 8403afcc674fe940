"""Time to first token through springlet's Ollama path vs the raw `ollama` client.

Both stream the same scripted answer from the Ollama-protocol test server started in
this run, interleaved so that both see the same machine load. Also shown: plain
`langchain_ollama.ChatOllama`, to split LangChain's share from springlet's own.
Aim: springlet's overhead <= 5 ms.

    .venv/bin/python bench/ollama_ttft.py [--runs 60]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Iterator

import ollama
from langchain_ollama import ChatOllama

from springlet.models.ollama import ollama_chat_model
from springlet.testing import Reply, ScriptedChatModel
from springlet.testing.ollama_server import OllamaTestServer

MODEL = "qwen2.5:7b"
QUESTION = "Where is my order A-1001?"
ANSWER = "Your order A-1001 left the warehouse yesterday and arrives on Friday."


def _first_token_seconds(stream: Callable[[], Iterator[str]]) -> float:
    started = time.perf_counter()
    iterator = stream()
    for text in iterator:
        if text:
            elapsed = time.perf_counter() - started
            for _ in iterator:  # drain, so the connection is reused cleanly
                pass
            return elapsed
    raise RuntimeError("the stream produced no text")


def measure(runs: int = 60) -> dict[str, float]:
    """Median time to first token (ms) per path, and springlet's overhead over raw."""
    backend = ScriptedChatModel(respond=lambda messages, tools: Reply(ANSWER))
    with OllamaTestServer(backend) as server:
        raw_client = ollama.Client(host=server.url)
        springlet_model = ollama_chat_model(MODEL, server.url)
        langchain_model = ChatOllama(model=MODEL, base_url=server.url)
        messages = [{"role": "user", "content": QUESTION}]

        def raw() -> Iterator[str]:
            for part in raw_client.chat(model=MODEL, messages=messages, stream=True):
                yield part.message.content or ""

        def through_springlet() -> Iterator[str]:
            for chunk in springlet_model.stream(QUESTION):
                yield chunk.text

        def through_langchain() -> Iterator[str]:
            for chunk in langchain_model.stream(QUESTION):
                yield chunk.text

        paths = {"raw": raw, "langchain": through_langchain, "springlet": through_springlet}
        for path in paths.values():  # warm up connections and caches
            _first_token_seconds(path)
        samples: dict[str, list[float]] = {name: [] for name in paths}
        for _ in range(runs):
            for name, path in paths.items():
                samples[name].append(_first_token_seconds(path))
    medians = {name: statistics.median(values) * 1000 for name, values in samples.items()}
    return {
        "raw_ttft_ms": medians["raw"],
        "langchain_ttft_ms": medians["langchain"],
        "springlet_ttft_ms": medians["springlet"],
        "springlet_overhead_ms": medians["springlet"] - medians["raw"],
        "springlet_own_overhead_ms": medians["springlet"] - medians["langchain"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=60)
    result = measure(parser.parse_args().runs)
    print(f"raw ollama client      TTFT {result['raw_ttft_ms']:7.2f} ms (baseline)")
    print(f"ChatOllama (LangChain) TTFT {result['langchain_ttft_ms']:7.2f} ms")
    print(f"springlet Ollama path  TTFT {result['springlet_ttft_ms']:7.2f} ms")
    overhead = result["springlet_overhead_ms"]
    verdict = "ok" if overhead <= 5 else "over the 5 ms aim"
    print(
        f"overhead vs raw: {overhead:+.2f} ms ({verdict}); of which springlet's own "
        f"(vs ChatOllama): {result['springlet_own_overhead_ms']:+.2f} ms"
    )


if __name__ == "__main__":
    main()
