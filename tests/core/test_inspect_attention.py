"""Attention maps against the model's own outputs and the reference implementation; rollout; filters."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from bertstudio.inspect import (
    ViewOptions,
    attention,
    attention_batch,
    attention_rollout,
    reduce_heads,
    rollout,
    view_matrix,
    write_matrix_csv,
)
from bertstudio.model import load_pretrained


@pytest.fixture(scope="module")
def tiny(tiny_model_dir):
    return load_pretrained(tiny_model_dir)


def test_attention_shape_dtype_and_rows_sum_to_one(tiny):
    model, tokenizer = tiny
    result = attention(model, tokenizer, "the movie was unbelievably good", "a fun film")
    tokens, maps = result
    assert tokens[0] == "[CLS]" and tokens.count("[SEP]") == 2
    assert maps.dtype == np.float32
    assert maps.shape == (2, 2, len(tokens), len(tokens))
    np.testing.assert_allclose(maps.sum(-1), 1.0, atol=1e-5)
    assert result.segments[tokens.index("fun")] == 1 and result.segments[tokens.index("movie")] == 0


def test_padded_keys_get_no_weight_in_a_batch(tiny):
    model, tokenizer = tiny
    short, long = attention_batch(model, tokenizer, ["the movie", "the book was very very boring and sad"])
    alone = attention(model, tokenizer, "the movie")
    assert short.maps.shape[-1] == 4 and long.maps.shape[-1] > 4
    # Were padded keys given weight, the short example's rows would sum to less than 1 and differ.
    np.testing.assert_allclose(short.maps.sum(-1), 1.0, atol=1e-5)
    np.testing.assert_allclose(short.maps, alone.maps, atol=1e-5)


def test_attention_matches_transformers_on_minilm(minilm_path):
    transformers = pytest.importorskip("transformers")
    torch = pytest.importorskip("torch")
    model, tokenizer = load_pretrained(minilm_path)
    text, pair = "The cat sat on the mat.", "It was unbelievably comfortable."
    ours = attention(model, tokenizer, text, pair)
    reference_tokenizer = transformers.AutoTokenizer.from_pretrained(str(minilm_path))
    reference = transformers.BertModel.from_pretrained(str(minilm_path), attn_implementation="eager").eval()
    inputs = reference_tokenizer(text, pair, return_tensors="pt")
    with torch.no_grad():
        expected = torch.stack(reference(**inputs, output_attentions=True).attentions, dim=1)[0].numpy()
    assert ours.tokens == reference_tokenizer.convert_ids_to_tokens(inputs["input_ids"][0])
    np.testing.assert_allclose(ours.maps, expected, atol=2e-5)


def test_word_level_sums_key_pieces_and_averages_query_pieces(tiny):
    model, tokenizer = tiny
    pieces = attention(model, tokenizer, "unbelievably good")
    words = attention(model, tokenizer, "unbelievably good", word_level=True)
    assert words.tokens == ["[CLS]", "unbelievably", "good", "[SEP]"]
    span = [i for i, t in enumerate(pieces.tokens) if t not in ("[CLS]", "[SEP]", "good")]
    assert len(span) > 3  # the tiny vocabulary spells the word out letter by letter
    layer, head = 1, 0
    expected_key = pieces.maps[layer, head][:, span].sum(axis=1)  # every query's weight on the whole word
    np.testing.assert_allclose(words.maps[layer, head][0, 1], expected_key[0], rtol=1e-5)
    expected_query = pieces.maps[layer, head][span].mean(axis=0)  # the word's row: mean of its pieces' rows
    good = pieces.tokens.index("good")
    np.testing.assert_allclose(words.maps[layer, head][1, 2], expected_query[good], rtol=1e-5)
    np.testing.assert_allclose(words.maps.sum(-1), 1.0, atol=1e-5)


def test_rollout_on_a_hand_computed_example():
    maps = np.array(
        [
            [[1.0, 0.0], [0.5, 0.5]],  # layer 1
            [[0.0, 1.0], [0.0, 1.0]],  # layer 2
        ],
        dtype=np.float32,
    )
    rolled = rollout(maps)
    # Layer 1: 0.5 A + 0.5 I = [[1, 0], [.25, .75]]; layer 2: [[.5, .5], [0, 1]] @ layer 1.
    np.testing.assert_allclose(rolled[0], [[1.0, 0.0], [0.25, 0.75]], atol=1e-7)
    np.testing.assert_allclose(rolled[1], [[0.625, 0.375], [0.25, 0.75]], atol=1e-7)


def test_rollout_of_a_model_keeps_rows_normalised(tiny):
    model, tokenizer = tiny
    rolled = attention_rollout(model, tokenizer, "the movie was good")
    assert rolled.maps.shape == (2, 1, 6, 6) and rolled.rolled_out
    np.testing.assert_allclose(rolled.maps.sum(-1), 1.0, atol=1e-5)
    words = attention_rollout(model, tokenizer, "unbelievably good", word_level=True)
    assert words.maps.shape == (2, 1, 4, 4)


def test_reduce_heads_mean_and_max():
    maps = np.arange(2 * 3 * 2 * 2, dtype=np.float32).reshape(2, 3, 2, 2)
    np.testing.assert_array_equal(reduce_heads(maps, "max"), maps[:, 2])
    np.testing.assert_allclose(reduce_heads(maps, "mean"), maps[:, 1])
    with pytest.raises(ValueError, match="head reduction"):
        reduce_heads(maps, "median")


def test_view_filters_and_csv(tiny, tmp_path):
    model, tokenizer = tiny
    maps = attention(model, tokenizer, "the movie", "a film")
    everything = view_matrix(maps, ViewOptions(layer=1, head="mean"))
    np.testing.assert_allclose(everything.matrix, maps.maps[1].mean(0), atol=1e-6)
    no_special = view_matrix(maps, ViewOptions(layer=1, head=0, hide_special=True))
    assert no_special.row_labels == ["the", "movie", "a", "film"]
    a_to_b = view_matrix(maps, ViewOptions(layer=0, head=1, direction="a_to_b"))
    assert a_to_b.row_labels == ["the", "movie"] and a_to_b.col_labels == ["a", "film"]
    np.testing.assert_allclose(a_to_b.matrix, maps.maps[0, 1][np.ix_([1, 2], [4, 5])])
    top = view_matrix(maps, ViewOptions(layer=0, head=0, top_percent=10))
    assert 0 < np.count_nonzero(top.matrix) <= int(np.ceil(0.1 * top.matrix.size)) + 1
    assert top.matrix.max() == pytest.approx(maps.maps[0, 0].max())
    threshold = view_matrix(maps, ViewOptions(layer=0, head=0, min_weight=0.2))
    assert (threshold.matrix[threshold.matrix > 0] >= 0.2).all()

    path = tmp_path / "attention.csv"
    write_matrix_csv(path, a_to_b)
    rows = list(csv.reader(path.open(encoding="utf-8")))
    assert rows[0] == ["query \\ key", "4:a", "5:film"]
    assert rows[1][0] == "1:the" and float(rows[1][1]) == pytest.approx(a_to_b.matrix[0, 0], rel=1e-5)


def test_bad_layer_or_head_is_a_clear_error(tiny):
    model, tokenizer = tiny
    maps = attention(model, tokenizer, "the movie")
    with pytest.raises(ValueError, match="layer 5 is out of range"):
        view_matrix(maps, ViewOptions(layer=5))
    with pytest.raises(ValueError, match="head_mask has shape"):
        attention(model, tokenizer, "the movie", head_mask=np.ones((3, 3)))
