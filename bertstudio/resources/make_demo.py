"""Build the demo bundled with BERT Studio: `demo/reviews.csv` and `demo/model/`.

    python -m bertstudio.resources.make_demo

The reviews are generated here from templates (seeded, so the file is the same on every run), with
three labels: positive, negative, neutral. The model is a tiny BERT (2 layers, hidden 128) pretrained
with our own engine (masked LM, a WordPiece vocabulary trained on the corpus) on text this script
writes: the reviews plus descriptive sentences in the same domain. Everything is the project's own
text, under the project's licence. It takes a few minutes on a laptop CPU.
"""

from __future__ import annotations

import csv
import random
import shutil
import sys
import tempfile
from pathlib import Path

from bertstudio.resources import resource_path

SEED = 7
REVIEWS = 900
CORPUS_SENTENCES = 12_000

SUBJECTS = (
    "the movie",
    "this film",
    "the plot",
    "the acting",
    "the soundtrack",
    "the ending",
    "the story",
    "the characters",
    "the dialogue",
    "the cast",
    "the director's work",
    "the script",
    "the pacing",
    "the camera work",
    "the lead actor",
    "the lead actress",
    "the sequel",
    "the first half",
    "the finale",
    "this book",
    "the novel",
    "the album",
    "the show",
    "the second season",
    "the documentary",
)
POSITIVE = (
    "wonderful",
    "brilliant",
    "moving",
    "funny",
    "beautiful",
    "gripping",
    "charming",
    "superb",
    "delightful",
    "clever",
    "touching",
    "excellent",
    "fresh",
    "memorable",
    "stunning",
    "great",
)
NEGATIVE = (
    "boring",
    "dull",
    "terrible",
    "awful",
    "clumsy",
    "predictable",
    "painful",
    "weak",
    "messy",
    "forgettable",
    "tedious",
    "bland",
    "confusing",
    "disappointing",
    "lazy",
    "bad",
)
INTENSIFIERS = ("", "", "really ", "very ", "truly ", "quite ", "absolutely ", "so ")
POSITIVE_PHRASES = (
    "I loved every minute of it.",
    "I would watch it again.",
    "Highly recommended.",
    "It made my day.",
    "A must see.",
    "I laughed and cried.",
    "Worth every penny.",
    "My friends enjoyed it too.",
    "Easily the best this year.",
    "I was smiling all the way home.",
)
NEGATIVE_PHRASES = (
    "I want my money back.",
    "I fell asleep halfway.",
    "Avoid it.",
    "What a waste of time.",
    "I walked out early.",
    "Not worth the ticket.",
    "I expected much more.",
    "Skip this one.",
    "Nobody in the room liked it.",
    "I regret watching it.",
)
NEUTRAL = (
    "{S} runs for about {n} minutes.",
    "{S} was released in {y}.",
    "I watched {s} on {d}.",
    "{S} is based on a book from {y}.",
    "{S} was filmed in {p}.",
    "I saw {s} with my {r}.",
    "{S} has {n} scenes set at night.",
    "{S} is in {lang} with subtitles.",
    "{S} came out on {d} last year.",
    "The tickets for {s} cost {n} dollars.",
)
PLACES = ("Paris", "London", "New York", "a small village", "the mountains", "Berlin", "Tokyo", "a studio")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
RELATIVES = ("sister", "brother", "parents", "friends", "colleagues", "kids", "partner")
LANGUAGES = ("French", "Spanish", "German", "Japanese", "Italian", "Korean")


def _fill(template: str, rng: random.Random) -> str:
    subject = rng.choice(SUBJECTS)
    return template.format(
        S=subject[0].upper() + subject[1:],
        s=subject,
        n=rng.randint(20, 180),
        y=rng.randint(1950, 2024),
        d=rng.choice(DAYS),
        p=rng.choice(PLACES),
        r=rng.choice(RELATIVES),
        lang=rng.choice(LANGUAGES),
    )


def _opinion(words: tuple[str, ...], phrases: tuple[str, ...], rng: random.Random) -> str:
    subject = rng.choice(SUBJECTS)
    opposite = NEGATIVE if words is POSITIVE else POSITIVE
    if rng.random() < 0.25:  # mixed: the clause after "but" decides
        first = (
            f"{subject[0].upper() + subject[1:]} felt {rng.choice(opposite)}, but {rng.choice(SUBJECTS)} "
            f"felt {rng.choice(INTENSIFIERS)}{rng.choice(words)}."
        )
    else:
        first = f"{subject[0].upper() + subject[1:]} felt {rng.choice(INTENSIFIERS)}{rng.choice(words)}."
    parts = [first]
    if rng.random() < 0.6:
        other = rng.choice(SUBJECTS)
        parts.append(f"And {other} seemed {rng.choice(INTENSIFIERS)}{rng.choice(words)}.")
    if rng.random() < 0.7:
        parts.append(rng.choice(phrases))
    if rng.random() < 0.3:
        parts.insert(0, _fill(rng.choice(NEUTRAL), rng))
    return " ".join(parts)


def review(label: str, rng: random.Random) -> str:
    if label == "positive":
        return _opinion(POSITIVE, POSITIVE_PHRASES, rng)
    if label == "negative":
        return _opinion(NEGATIVE, NEGATIVE_PHRASES, rng)
    return " ".join(_fill(rng.choice(NEUTRAL), rng) for _ in range(rng.randint(1, 2)))


def write_reviews(path: Path) -> None:
    rng = random.Random(SEED)
    labels = ["positive", "negative", "neutral"]
    rows = [(review(label, rng), label) for label in (rng.choice(labels) for _ in range(REVIEWS))]
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(rows)


def write_corpus(path: Path) -> None:
    rng = random.Random(SEED + 1)
    lines = []
    for _ in range(CORPUS_SENTENCES):
        lines.append(review(rng.choice(["positive", "negative", "neutral"]), rng))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def pretrain_demo_model(corpus: Path, output: Path, work: Path) -> None:
    from bertstudio.training import RunConfig, run_training

    config = RunConfig(
        task="pretraining",
        preset="tiny",
        vocab_size=2000,
        corpus_paths=[str(corpus)],
        max_length=64,
        epochs=30,
        batch_size=64,
        learning_rate=1e-3,
        warmup_ratio=0.05,
        seed=SEED,
        output_dir=str(work / "run"),
        keep_checkpoints=1,
    )
    result = run_training(
        config, on_event=lambda e: print(e) if e.kind in ("eval", "finished", "failed") else None
    )
    if not result.ok:
        sys.exit(f"pretraining failed: {result.error}")
    if output.exists():
        shutil.rmtree(output)
    shutil.copytree(result.model_dir, output)
    for file in output.iterdir():  # atomic writes create private files; package data must be readable
        file.chmod(0o644)


def main() -> None:
    demo = resource_path("demo")
    demo.mkdir(exist_ok=True)
    write_reviews(demo / "reviews.csv")
    with tempfile.TemporaryDirectory() as temp:
        corpus = Path(temp) / "corpus.txt"
        write_corpus(corpus)
        pretrain_demo_model(corpus, demo / "model", Path(temp))
    print(f"demo written to {demo}")


if __name__ == "__main__":
    main()
