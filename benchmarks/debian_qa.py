"""A SQuAD v2.0-style question-answering set from Debian package records (free to use and share).

    apt-get update && python benchmarks/debian_qa.py   # writes benchmarks/data/debian_qa_{train,dev}.json

Reads `apt-cache dumpavail` (the archive's package records), groups packages of one section by three
into a context written from their records (synopsis, version, section, maintainer, homepage, the
packages it depends on), and asks of each package who maintains it, what it is, which version it is,
and its homepage. Unanswerable questions (is_impossible) are the real gaps of the records (a package
without a homepage) and the same questions about a package of the section that the context does not
describe. Contexts with their dependency lists run past one 128-token window, so the windows matter.
The files are cached in the repository, so the benchmark runs offline.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from debian_sections import records  # noqa: E402

OUTPUT = Path(__file__).resolve().parent / "data"
CONTEXTS = {"train": 160, "dev": 40}
PACKAGES_PER_CONTEXT = 3
SEED = 0


def describe(record: dict[str, str]) -> tuple[str, dict[str, str]]:
    """A paragraph about one package and the answers it holds (field -> text in the paragraph)."""
    name = record["Package"]
    maintainer = re.sub(r"\s*<[^>]*>", "", record.get("Maintainer", "")).strip()
    synopsis = record.get("Description", "").strip().rstrip(".")
    depends = [part.split("(")[0].strip() for part in record.get("Depends", "").split(",") if part.strip()]
    synopsis = synopsis[0].lower() + synopsis[1:]
    facts = {"synopsis": synopsis, "version": record.get("Version", ""), "maintainer": maintainer}
    text = f"{name} ({synopsis}) is at version {facts['version']}"
    text += f" and is maintained by {maintainer}."
    if record.get("Homepage"):
        facts["homepage"] = record["Homepage"]
        text += f" Its homepage is {record['Homepage']} ."
    if depends:
        text += f" It depends on {', '.join(dict.fromkeys(depends))}."
    return text, facts


QUESTIONS = {
    "maintainer": "Who maintains {name}?",
    "synopsis": "What is {name}?",
    "version": "Which version of {name} is it?",
    "homepage": "What is the homepage of {name}?",
}


def build(dump: str) -> dict[str, list[dict]]:
    rng = random.Random(SEED)
    by_section: dict[str, list[dict[str, str]]] = {}
    seen = set()
    for record in records(dump):
        name, section = record.get("Package"), record.get("Section", "").split("/")[-1]
        if not name or name in seen or not record.get("Description") or not record.get("Maintainer"):
            continue
        seen.add(name)
        by_section.setdefault(section, []).append(record)
    groups = []
    for _section, found in sorted(by_section.items()):
        rng.shuffle(found)
        for start in range(0, len(found) - PACKAGES_PER_CONTEXT, PACKAGES_PER_CONTEXT + 1):
            groups.append((found[start : start + PACKAGES_PER_CONTEXT], found[start + PACKAGES_PER_CONTEXT]))
    rng.shuffle(groups)
    splits: dict[str, list[dict]] = {}
    cursor = 0
    for split, count in CONTEXTS.items():
        articles = []
        for described, absent in groups[cursor : cursor + count]:
            articles.append(article(described, absent, len(articles), split, rng))
        splits[split] = articles
        cursor += count
    return splits


def article(described, absent, index: int, split: str, rng: random.Random) -> dict:
    parts, qas = [], []
    for record in described:
        text, facts = describe(record)
        offset = sum(len(p) + 1 for p in parts)
        parts.append(text)
        for field, template in QUESTIONS.items():
            qid = f"{split}-{index}-{record['Package']}-{field}"
            question = template.format(name=record["Package"])
            if field not in facts:
                qas.append({"id": qid, "question": question, "answers": [], "is_impossible": True})
                continue
            start = offset + text.index(facts[field])
            qas.append(
                {"id": qid, "question": question, "answers": [{"text": facts[field], "answer_start": start}]}
            )
    field = rng.choice(list(QUESTIONS))
    qid = f"{split}-{index}-{absent['Package']}-{field}-absent"
    qas.append(
        {
            "id": qid,
            "question": QUESTIONS[field].format(name=absent["Package"]),
            "answers": [],
            "is_impossible": True,
        }
    )
    context = " ".join(parts)
    for qa in qas:
        for answer in qa["answers"]:
            assert context[answer["answer_start"] :].startswith(answer["text"]), qa["id"]
    return {"title": described[0].get("Section", ""), "paragraphs": [{"context": context, "qas": qas}]}


def main() -> None:
    dump = subprocess.run(["apt-cache", "dumpavail"], capture_output=True, text=True, check=True).stdout
    for split, articles in build(dump).items():
        path = OUTPUT / f"debian_qa_{split}.json"
        path.write_text(
            json.dumps({"version": "v2.0", "data": articles}, ensure_ascii=False), encoding="utf-8"
        )
        questions = sum(len(a["paragraphs"][0]["qas"]) for a in articles)
        print(f"wrote {path.name}: {len(articles)} contexts, {questions} questions")


if __name__ == "__main__":
    main()
