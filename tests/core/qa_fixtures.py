"""Tiny SQuAD-style data the tiny models (2 layers, hidden 32, tests/conftest.py vocabulary) can learn:
"where does NAME live?" over a context of filler sentences that says where each person lives."""

from __future__ import annotations

import json
import random
from pathlib import Path

PEOPLE = ("john", "mary")
CITIES = ("paris", "london", "new york")
FILLER = "the movie was good . the book is very fun . i really liked the plot and the acting .".split(" . ")


def qa_articles(count: int, seed: int = 0, unanswerable_every: int = 0) -> list[dict]:
    """SQuAD `data` entries, one paragraph each; every `unanswerable_every`-th question asks about a
    person the context does not mention (is_impossible)."""
    rng = random.Random(seed)
    articles = []
    for index in range(count):
        person, city = rng.choice(PEOPLE), rng.choice(CITIES)
        other = next(p for p in PEOPLE if p != person)
        sentences = rng.sample(FILLER, 2) + [f"{person} lives in {city}"]
        rng.shuffle(sentences)
        context = " . ".join(sentences) + " ."
        impossible = bool(unanswerable_every) and index % unanswerable_every == 0
        asked = other if impossible else person
        qa = {"id": f"q{index}", "question": f"where does {asked} live?", "is_impossible": impossible}
        qa["answers"] = (
            [] if impossible else [{"text": city, "answer_start": context.index(f"in {city}") + 3}]
        )
        articles.append({"title": f"t{index}", "paragraphs": [{"context": context, "qas": [qa]}]})
    return articles


def write_squad(path: Path, articles: list[dict], version: str = "v2.0") -> Path:
    path.write_text(json.dumps({"version": version, "data": articles}, indent=1), encoding="utf-8")
    return path
