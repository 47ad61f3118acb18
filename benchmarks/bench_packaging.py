"""Frozen app vs source, side by side: start-up (`--version`; `--self-test` minus the part the self-test
times itself) and the bundle's size against the 900 MiB target.

Run after packaging/build_linux.sh:  python benchmarks/bench_packaging.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
BUNDLE = REPO_ROOT / "dist" / "bertstudio"
SIZE_TARGET_MIB = 900
SELF_TEST_PASSED = re.compile(r"^self-test passed in ([0-9.]+) s$", re.MULTILINE)


def timed_run(command: list[str]) -> tuple[float, str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    start = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    seconds = time.perf_counter() - start
    if completed.returncode != 0:
        sys.exit(f"{' '.join(command)} exited {completed.returncode}:\n{completed.stdout}{completed.stderr}")
    return seconds, completed.stdout


def measure(variants: dict[str, list[str]], runs: int) -> dict[str, dict[str, list[float]]]:
    figures = {name: {"version": [], "self_test_total": [], "start_and_exit": []} for name in variants}
    for _ in range(runs):  # interleaved, so load from other jobs hits both variants alike
        for name, command in variants.items():
            figures[name]["version"].append(timed_run([*command, "--version"])[0])
            total, output = timed_run([*command, "--self-test"])
            inside = float(SELF_TEST_PASSED.search(output).group(1))
            figures[name]["self_test_total"].append(total)
            figures[name]["start_and_exit"].append(total - inside)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    executable = BUNDLE / "bertstudio"
    if not executable.is_file():
        sys.exit(f"{executable} not found: run packaging/build_linux.sh first")
    variants = {"source": [sys.executable, "-m", "bertstudio"], "frozen": [str(executable)]}
    figures = measure(variants, args.runs)
    print(f"median of {args.runs} interleaved runs, load average {os.getloadavg()[0]:.1f}:")
    for name, values in figures.items():
        print(
            f"  {name:6}  --version {statistics.median(values['version']):.2f} s   "
            f"--self-test {statistics.median(values['self_test_total']):.1f} s, of which start-up + "
            f"shut-down {statistics.median(values['start_and_exit']):.1f} s"
        )
    files = [
        path for path in BUNDLE.rglob("*") if path.is_file() and not path.is_symlink()
    ]  # no double count
    size_mib = sum(path.stat().st_size for path in files) / 2**20
    verdict = "within" if size_mib < SIZE_TARGET_MIB else "OVER"
    print(
        f"bundle {BUNDLE.relative_to(REPO_ROOT)}: {size_mib:.0f} MiB ({verdict} the {SIZE_TARGET_MIB} MiB target)"
    )


if __name__ == "__main__":
    main()
