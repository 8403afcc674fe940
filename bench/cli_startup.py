"""Cold start of the CLI: `springlet --help` and `springlet validate` on the example,
next to `python -c pass` measured in the same run (aim: under 0.6 s).

    .venv/bin/python bench/cli_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "acme"

COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "springlet --help": [sys.executable, "-m", "springlet", "--help"],
    "springlet validate (example)": [
        *[sys.executable, "-m", "springlet"],
        *["validate", "-w", str(EXAMPLE)],
    ],
}


def median_seconds(argv: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    baseline = median_seconds(COMMANDS["python -c pass"], args.runs)
    print(f"{'command':32} {'median':>9} {'over python':>12}")
    for name, argv in COMMANDS.items():
        seconds = baseline if name == "python -c pass" else median_seconds(argv, args.runs)
        verdict = "" if name == "python -c pass" else ("ok" if seconds < 0.6 else "over 0.6 s aim")
        print(
            f"{name:32} {seconds * 1000:8.0f}ms {(seconds - baseline) * 1000:+10.0f}ms  {verdict}"
        )


if __name__ == "__main__":
    main()
