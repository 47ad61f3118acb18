"""SQuAD scoring against figures worked out by hand on a small set of tricky answers."""

from __future__ import annotations

import pytest

from bertstudio.training.squad_scoring import normalize_answer, squad_scores, token_f1

# id: (gold answers, prediction, null score diff); the hand-worked exact / F1 of each is in the comment
TRICKY = {
    "article_punct": (["The Eiffel Tower"], "eiffel tower.", -3.0),  # "eiffel tower" both: 1 / 1
    "several_golds": (["Denver Broncos", "the Broncos"], "Broncos", -1.0),  # matches the 2nd: 1 / 1
    "partial": (["a red car"], "red cars", 2.0),  # red|car vs red|cars: 0 / (P 1/2, R 1/2) 0.5
    "no_answer_right": ([], "", 5.0),  # unanswerable, answered "": 1 / 1
    "no_answer_wrong": ([], "paris", 1.0),  # unanswerable, answered: 0 / 0
    "missed": (["New York City"], "", 4.0),  # answerable, answered "": 0 / 0
    "numbers": (["1,000 people"], "1000 people!", 0.0),  # commas and "!" go: 1 / 1
}


def scores(with_null: bool = True) -> dict[str, float]:
    golds = {qid: golds for qid, (golds, _, _) in TRICKY.items()}
    predictions = {qid: predicted for qid, (_, predicted, _) in TRICKY.items()}
    null = {qid: diff for qid, (_, _, diff) in TRICKY.items()} if with_null else None
    return squad_scores(predictions, golds, null)


def test_normalisation_drops_case_punctuation_articles_and_extra_spaces():
    assert normalize_answer("  The  Cat, a dog & AN owl!") == "cat dog owl"
    assert normalize_answer("theatre") == "theatre"  # "the" only as a word
    assert token_f1("the", "") == 1.0 and token_f1("cat", "a") == 0.0  # "the" and "a" normalise to ""


def test_exact_match_and_f1_are_the_hand_computed_ones():
    result = scores()
    assert result["exact_match"] == pytest.approx(100 * 4 / 7)
    assert result["f1"] == pytest.approx(100 * 4.5 / 7)
    assert result["total"] == 7
    assert result["HasAns_exact"] == pytest.approx(60.0) and result["HasAns_f1"] == pytest.approx(70.0)
    assert result["HasAns_total"] == 5 and result["NoAns_total"] == 2
    assert result["NoAns_exact"] == pytest.approx(50.0) and result["NoAns_f1"] == pytest.approx(50.0)


def test_best_null_threshold_answers_only_below_it():
    # rising null score: +1 (article_punct), +1 (several_golds), +1 (numbers) at 0.0, then
    # no_answer_wrong costs 1 and nothing after gains: 2 unanswerable + 3 = 5 of 7 at threshold 0.0
    result = scores()
    assert result["best_exact"] == pytest.approx(100 * 5 / 7) and result["best_exact_thresh"] == 0.0
    assert result["best_f1"] == pytest.approx(100 * 5 / 7) and result["best_f1_thresh"] == 0.0


def test_without_unanswerable_questions_there_is_no_split():
    result = squad_scores({"a": "the cat"}, {"a": ["Cat", "a cat sat"]})
    assert result == {"exact_match": 100.0, "f1": 100.0, "total": 1.0}
    assert squad_scores({}, {"a": ["cat"]})["f1"] == 0.0  # a question without a prediction scores 0
