"""What vetting tool modules in a subprocess costs `springlet validate` on the example.

Three variants, interleaved round by round (A B C A B C ...), each a fresh process:
- before: the sources of another checkout without vetting (default /work/main/src);
- warm: this checkout, the example's tool files already vetted (the normal case);
- cold: this checkout with an empty vetting cache (a new or changed tool file).
Printed: median and min-max seconds, and the paired ratio to `before` per round.

    .venv/bin/python bench/tool_vetting.py [--rounds 10] [--before-src /work/main/src]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "acme"
CODE = "import sys; from springlet.cli import main; main(sys.argv[1:])"


def timed(src: Path, cache: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(src), "SPRINGLET_CACHE_DIR": str(cache)}
    argv = [sys.executable, "-c", CODE, "validate", "-w", str(EXAMPLE)]
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, env=env)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--before-src", type=Path, default=Path("/work/main/src"))
    args = parser.parse_args()
    times: dict[str, list[float]] = {"before": [], "warm": [], "cold": []}
    with tempfile.TemporaryDirectory() as tmp:
        warm_cache = Path(tmp) / "warm"
        timed(REPO / "src", warm_cache)  # fills the warm cache
        for round_no in range(args.rounds):
            cold_cache = Path(tmp) / f"cold{round_no}"
            times["before"].append(timed(args.before_src, Path(tmp) / "unused"))
            times["warm"].append(timed(REPO / "src", warm_cache))
            times["cold"].append(timed(REPO / "src", cold_cache))
    print(f"{'variant':8} {'median':>8} {'min-max':>15} {'ratio to before (median, min-max)':>36}")
    for name, values in times.items():
        ratios = [v / b for v, b in zip(values, times["before"], strict=True)]
        print(
            f"{name:8} {statistics.median(values) * 1000:6.0f}ms "
            f"{min(values) * 1000:6.0f}-{max(values) * 1000:.0f}ms "
            f"{statistics.median(ratios):10.2f} ({min(ratios):.2f}-{max(ratios):.2f})"
        )


if __name__ == "__main__":
    main()
