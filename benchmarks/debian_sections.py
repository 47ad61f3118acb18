"""An 8-class text set from Debian package descriptions: Description -> Section.

    apt-get update && python benchmarks/debian_sections.py   # writes benchmarks/data/debian_sections.csv

Reads `apt-cache dumpavail` (Package / Section / Description fields), keeps one record per package,
takes SECTIONS (common sections whose descriptions overlap in vocabulary, so the set is not trivial),
ROWS_PER_SECTION random packages of each, and writes text, label and split (train / test, 80 / 20
per section) to one CSV. The CSV is cached in the repository, so the benchmark runs offline.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import write_csv  # noqa: E402

SECTIONS = ("admin", "devel", "games", "net", "science", "text", "utils", "x11")
ROWS_PER_SECTION = 125
TEST_SHARE = 0.2
MAX_CHARS = 1200  # texts beyond max length 128 tokens are cut anyway
OUTPUT = Path(__file__).resolve().parent / "data" / "debian_sections.csv"
SEED = 0


def records(dump: str) -> list[dict[str, str]]:
    """The fields of each record of an apt-cache dumpavail text (continuation lines joined)."""
    found, current, key = [], {}, None
    for line in dump.splitlines():
        if not line.strip():
            if current:
                found.append(current)
            current, key = {}, None
        elif line[0] in " \t" and key:
            current[key] += " " + line.strip().removeprefix(".").strip()
        else:
            key, _, value = line.partition(":")
            current[key] = value.strip()
    if current:
        found.append(current)
    return found


def rows_by_section(dump: str) -> dict[str, list[str]]:
    seen: set[str] = set()
    texts: dict[str, list[str]] = {section: [] for section in SECTIONS}
    for record in records(dump):
        package, section = record.get("Package"), record.get("Section", "").split("/")[-1]
        description = " ".join(record.get("Description", "").split())
        if package in seen or section not in texts or not description:
            continue
        seen.add(package)
        texts[section].append(description[:MAX_CHARS])
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows-per-section", type=int, default=ROWS_PER_SECTION)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    per_section = args.rows_per_section
    dump = subprocess.run(["apt-cache", "dumpavail"], check=True, capture_output=True, text=True).stdout
    rng = random.Random(SEED)
    rows = []
    for section, texts in rows_by_section(dump).items():
        if len(texts) < per_section:
            raise SystemExit(f"only {len(texts)} packages in section {section}; run apt-get update first")
        chosen = rng.sample(sorted(set(texts)), per_section)
        test_rows = round(per_section * TEST_SHARE)
        rows += [(text, section, "test" if i < test_rows else "train") for i, text in enumerate(chosen)]
    rng.shuffle(rows)
    args.output.parent.mkdir(exist_ok=True)
    write_csv(args.output, ["text", "label", "split"], rows)
    print(f"wrote {len(rows)} rows ({len(SECTIONS)} sections) to {args.output}")


if __name__ == "__main__":
    main()
