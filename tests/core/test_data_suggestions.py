"""The suggested mapping on a dozen tables shaped like the ones people bring (written out below).

Each case says what a person who knows the data would map; docs/data.md lists the rules these check.
"""

from __future__ import annotations

import random

import pytest

from bertstudio.data import Table, suggest_task, validate

ROWS = 48
rng = random.Random(7)
WORDS = (
    "the quick service made our evening pleasant although parking near the old station was hard to find "
    "and the staff seemed tired after a long shift yet the soup arrived hot and the bread fresh"
).split()
SECTIONS = ["admin", "devel", "libs", "net", "python", "utils", "web", "x11"]


def sentence(words: int = 12) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def cycle(values, i):
    return values[i % len(values)]


def reviews_with_sentiment():
    rows = [[str(1000 + i), sentence(), cycle(["positive", "negative"], i)] for i in range(ROWS)]
    return Table.from_rows(["id", "review", "sentiment"], rows)


def nli_premise_hypothesis():
    labels = ["entailment", "neutral", "contradiction"]
    rows = [[sentence(14), sentence(7), cycle(labels, i)] for i in range(ROWS)]
    return Table.from_rows(["premise", "hypothesis", "label"], rows)


def question_answer_pairs():
    rows = [[sentence(9) + "?", sentence(16), cycle(["0", "1"], i)] for i in range(ROWS)]
    return Table.from_rows(["question", "answer", "label"], rows)


def duplicate_questions():
    rows = [
        [str(i), str(2 * i), str(2 * i + 1), sentence(8) + "?", sentence(8) + "?", cycle(["0", "1"], i)]
        for i in range(ROWS)
    ]
    return Table.from_rows(["id", "qid1", "qid2", "question1", "question2", "is_duplicate"], rows)


def ner_tokens_and_tags():
    rows = []
    for _ in range(ROWS):
        tokens = ["Anna", "met", "Bob", "in", "Paris"]
        rows.append([tokens, ["B-PER", "O", "B-PER", "O", "B-LOC"]])
    return Table.from_rows(["tokens", "ner_tags"], rows)


def genres_separated_by_bars():
    genres = ["drama|romance", "comedy", "drama", "comedy|drama", "thriller|crime", "crime"]
    rows = [[f"Movie {i}", sentence(20), cycle(genres, i)] for i in range(ROWS)]
    return Table.from_rows(["title", "plot", "genres"], rows)


def regression_scores():
    rows = [[sentence(), f"{rng.uniform(0, 5):.2f}"] for _ in range(ROWS)]
    return Table.from_rows(["sentence", "score"], rows)


def title_body_category():
    rows = [
        [sentence(6), sentence(30), cycle(["sports", "politics", "tech", "arts"], i)] for i in range(ROWS)
    ]
    return Table.from_rows(["title", "body", "category"], rows)


def packages_with_sections():
    rows = [[f"pkg-{i}", sentence(25), sentence(6), cycle(SECTIONS, i * 5 // 3)] for i in range(ROWS)]
    return Table.from_rows(["package", "description", "summary", "section"], rows)


def packages_without_a_label():
    rows = [[f"pkg-{i}", f"1.{i}.0", sentence(6), sentence(25)] for i in range(ROWS)]
    return Table.from_rows(["package", "version", "summary", "description"], rows)


def tweets_with_ids():
    rows = [
        [str(5_000_000 + i), f"@user{i % 9}", sentence(14), cycle(["negative", "neutral", "positive"], i)]
        for i in range(ROWS)
    ]
    return Table.from_rows(["tweet_id", "user", "text", "airline_sentiment"], rows)


def toxic_comments_as_binary_columns():
    rows = [[str(i), sentence(), str(i % 2), str(i // 2 % 2), str(i // 3 % 2)] for i in range(ROWS)]
    return Table.from_rows(["id", "comment_text", "toxic", "obscene", "insult"], rows)


def product_reviews_with_stars():
    rows = [[f"B00{i:04d}", sentence(5), sentence(25), str(i % 5 + 1)] for i in range(ROWS)]
    return Table.from_rows(["product_id", "product_title", "review_body", "star_rating"], rows)


def intents_of_utterances():
    intents = ["book_flight", "cancel", "weather", "greeting"]
    rows = [[sentence(8), cycle(intents, i)] for i in range(ROWS)]
    return Table.from_rows(["utterance", "intent"], rows)


def query_passage_relevance():
    rows = [[sentence(5), sentence(40), cycle(["0", "1"], i)] for i in range(ROWS)]
    return Table.from_rows(["query", "passage", "relevant"], rows)


# (table, text, second text, labels, task)
CASES = {
    "reviews+sentiment": (reviews_with_sentiment, "review", None, ["sentiment"], "classification"),
    "NLI premise/hypothesis": (
        nli_premise_hypothesis,
        "premise",
        "hypothesis",
        ["label"],
        "pair_classification",
    ),
    "question/answer": (question_answer_pairs, "question", "answer", ["label"], "pair_classification"),
    "question1/question2": (
        duplicate_questions,
        "question1",
        "question2",
        ["is_duplicate"],
        "pair_classification",
    ),
    "NER tokens/tags": (ner_tokens_and_tags, "tokens", None, ["ner_tags"], "token_classification"),
    "multi-label with |": (genres_separated_by_bars, "plot", None, ["genres"], "multi_label"),
    "regression scores": (regression_scores, "sentence", None, ["score"], "regression"),
    "title+body+category": (title_body_category, "body", None, ["category"], "classification"),
    "package descriptions with sections": (
        packages_with_sections,
        "description",
        None,
        ["section"],
        "classification",
    ),
    "package descriptions without a label": (
        packages_without_a_label,
        "description",
        None,
        [],
        "classification",
    ),
    "tweets with an id column": (tweets_with_ids, "text", None, ["airline_sentiment"], "classification"),
    "toxic comments as 0/1 columns": (
        toxic_comments_as_binary_columns,
        "comment_text",
        None,
        ["toxic", "obscene", "insult"],
        "multi_label",
    ),
    "product reviews with stars": (
        product_reviews_with_stars,
        "review_body",
        None,
        ["star_rating"],
        "classification",
    ),
    "intents": (intents_of_utterances, "utterance", None, ["intent"], "classification"),
    "query/passage relevance": (
        query_passage_relevance,
        "query",
        "passage",
        ["relevant"],
        "pair_classification",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_suggestion_is_what_a_person_would_map(case):
    make, text, pair, labels, task = CASES[case]
    mapping = suggest_task(make())
    assert (mapping.text, mapping.text_pair, mapping.labels, mapping.task) == (text, pair, labels, task)


@pytest.mark.parametrize("case", [name for name, spec in CASES.items() if spec[3]])
def test_an_accepted_suggestion_is_ready_to_train(case):
    table = CASES[case][0]()
    report = validate(table, suggest_task(table))
    assert (report.verdict, report.doubts, report.errors) == ("ready", [], [])


def test_an_identifier_is_never_suggested_as_the_label_and_the_reason_says_why():
    mapping = suggest_task(packages_without_a_label())
    assert mapping.labels == []
    assert mapping.reason == (
        "no column looks like a label ('summary', 'version', 'package': a different value in almost every row): "
        "map one"
    )


def test_a_title_and_its_body_are_not_a_sentence_pair():
    """Two long texts of one row are a pair only when the names say so."""
    for make in (title_body_category, packages_with_sections, genres_separated_by_bars):
        assert suggest_task(make()).text_pair is None


def test_a_table_of_questions_about_contexts_is_suggested_as_question_answering():
    context = "Debian is a free operating system. It was first announced in 1993 by Ian Murdock."
    rows = [
        [f"q{i}", context, question, answer, str(context.find(answer)) if answer else ""]
        for i, (question, answer) in enumerate(
            [
                ("Who announced Debian?", "Ian Murdock"),
                ("When was it announced?", "1993"),
                ("Who owns it?", ""),
            ]
            * 4
        )
    ]
    table = Table.from_rows(["ID", "Passage", "Question", "Answer_Text", "answer_start"], rows)
    mapping = suggest_task(table)
    assert mapping.task == "question_answering" and mapping.text == "Question"
    assert (mapping.context, mapping.question, mapping.answer, mapping.answer_start) == (
        "Passage",
        "Question",
        "Answer_Text",
        "answer_start",
    )
    assert "'Question' asks about 'Passage'" in mapping.reason
    mapping.check(table)  # every role maps a real column
