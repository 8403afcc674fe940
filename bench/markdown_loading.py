"""Markdown loading time against file size: linear means 4x the size takes ~4x the time.

A heading every ~1 KB with a fenced block now and then (the shape that was quadratic:
1 MB 5 s, 2 MB 23 s, 4 MB 88 s). Sizes are interleaved round by round (1 MB, 4 MB, 1 MB,
4 MB, ...); printed: the median and min-max of each, and the paired ratio 4 MB / 1 MB.

    .venv/bin/python bench/markdown_loading.py [--rounds 10]
"""

from __future__ import annotations

import argparse
import statistics
import time

from springlet.rag.loaders import markdown_sections


def big_markdown(megabytes: float) -> str:
    parts, size, n = [], 0, 0
    while size < megabytes * 1_000_000:
        body = f"Paragraph {n} " + "lorem ipsum dolor sit amet " * 36
        if n % 10 == 0:
            body += "\n\n```\n# not a heading inside a fence\n```\n"
        part = f"## Section {n}\n\n{body}\n\n"
        parts.append(part)
        size += len(part)
        n += 1
    return "# Big\n\n" + "".join(parts)


def seconds(text: str) -> float:
    start = time.perf_counter()
    markdown_sections(text, "big.md", "big")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    small, large = big_markdown(1), big_markdown(4)
    times: dict[str, list[float]] = {"1 MB": [], "4 MB": []}
    for _ in range(args.rounds):
        times["1 MB"].append(seconds(small))
        times["4 MB"].append(seconds(large))
    for name, values in times.items():
        print(
            f"{name}: median {statistics.median(values) * 1000:.0f} ms "
            f"({min(values) * 1000:.0f}-{max(values) * 1000:.0f})"
        )
    ratios = [b / a for a, b in zip(times["1 MB"], times["4 MB"], strict=True)]
    print(
        f"4 MB / 1 MB: median {statistics.median(ratios):.2f} "
        f"({min(ratios):.2f}-{max(ratios):.2f}); linear is 4, quadratic 16"
    )


if __name__ == "__main__":
    main()
