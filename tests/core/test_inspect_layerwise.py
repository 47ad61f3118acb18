"""Attention a layer at a time (long inputs) against the whole model's attentions, for every family; its
pooled display maps and exact rows; DeBERTa's content / position parts against the transformers
reference's own terms."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from bertstudio.errors import BertStudioError
from bertstudio.inspect import LayerwiseAttention, attention, attention_parts, has_attention_parts
from bertstudio.model import load_pretrained
from bertstudio.model.family import all_families
from tests.core.family_references import LAYOUTS, save_reference

pytest.importorskip("transformers")

FAMILIES = {family.name: family for family in all_families()}
TEXT = "Paris is the capital of France, and Berlin is the capital of Germany."
PAIR = "A second segment here"


def saved_base(tmp_path, family, overrides=None):
    """(transformers reference, our model, our tokenizer) of a random base encoder of `family`."""
    reference, _ = save_reference(
        tmp_path, family, FAMILIES[family].architectures["base"], overrides=overrides
    )
    model, tokenizer = load_pretrained(tmp_path)
    return reference, model, tokenizer


@pytest.mark.parametrize("family", list(FAMILIES))
def test_layer_by_layer_maps_equal_the_whole_models_attentions(tmp_path, family):
    _, model, tokenizer = saved_base(tmp_path, family)
    whole = attention(model, tokenizer, TEXT, PAIR)
    layerwise = LayerwiseAttention(model, tokenizer, TEXT, PAIR)
    assert layerwise.layers_ready == 1  # the first layer reads the embeddings: nothing else to run
    stepped = layerwise.maps()
    assert stepped.tokens == whole.tokens and stepped.maps.shape == whole.maps.shape
    np.testing.assert_allclose(stepped.maps, whole.maps, atol=2e-6)
    np.testing.assert_allclose(layerwise.row(1, 2, 5), whole.maps[1, 2, 5], atol=2e-6)


def test_a_layer_is_asked_for_only_once_the_layers_below_it_ran(tmp_path):
    _, model, tokenizer = saved_base(tmp_path, "modernbert")
    layerwise = LayerwiseAttention(model, tokenizer, TEXT)
    layerwise.row(0, 0, 0)
    with pytest.raises(BertStudioError, match="Layer 1 is not computed yet"):
        layerwise.row(1, 0, 0)
    seen = []
    layerwise.run_all(progress=lambda done, total: seen.append((done, total)))
    assert seen == [(2, 2)] and layerwise.layers_ready == 2
    assert [layerwise.local_window(layer) for layer in range(2)] == [None, 4]  # global, then window 8


def test_pooled_maps_summarise_blocks_and_mark_the_masked_band(tmp_path):
    _, model, tokenizer = saved_base(tmp_path, "modernbert")
    layerwise = LayerwiseAttention(model, tokenizer, TEXT * 2)
    layerwise.run_all()
    length = layerwise.length
    full = layerwise.head_map(1, 3)  # the local layer: window 8
    outside = np.abs(np.arange(length)[:, None] - np.arange(length)[None, :]) > 4
    assert np.all(full[outside] == 0) and np.allclose(full.sum(-1), 1, atol=1e-5)
    for pooling in ("max", "mean"):
        pooled = layerwise.pooled_map(1, 3, blocks=7, pooling=pooling)
        edges = pooled.row_edges
        count = len(edges) - 1
        assert (
            1 < count <= 7 and edges[0] == 0 and edges[-1] == length and pooled.matrix.shape == (count, count)
        )
        for i in range(count):
            for j in range(count):
                block = full[edges[i] : edges[i + 1], edges[j] : edges[j + 1]]
                expected = block.max() if pooling == "max" else block.mean()
                assert pooled.matrix[i, j] == pytest.approx(expected, abs=1e-6)
                assert pooled.masked[i, j] == outside[edges[i] : edges[i + 1], edges[j] : edges[j + 1]].all()
        assert pooled.masked.any() and not pooled.masked.all()
    assert layerwise.pooled_map(0, 0, blocks=7).masked is None  # a global layer masks nothing


def reference_parts(reference, ids):
    """The transformers DeBERTa-v2 reference's own c2c / c2p / p2c terms per layer, (heads, T, T) each:
    its DisentangledSelfAttention inputs are captured, then its disentangled_attention_bias is called
    with one position term at a time."""
    captured = []
    hooks = [
        layer.attention.self.register_forward_pre_hook(
            lambda module, args, kwargs: captured.append((module, args, kwargs)), with_kwargs=True
        )
        for layer in reference.encoder.layer
    ]
    with torch.no_grad():
        out = reference(input_ids=ids, output_attentions=True)
    for hook in hooks:
        hook.remove()
    layers = []
    with torch.no_grad():
        for module, args, kwargs in captured:
            hidden = args[0]
            heads = module.num_attention_heads
            q = module.transpose_for_scores(module.query_proj(hidden), heads)
            k = module.transpose_for_scores(module.key_proj(hidden), heads)
            terms = list(module.pos_att_type)
            factor = 1 + len(terms)
            scale = torch.sqrt(torch.tensor(q.size(-1), dtype=torch.float) * factor)
            parts = {"c2c": torch.bmm(q, k.transpose(-1, -2) / scale)}
            rel = kwargs["rel_embeddings"]
            for term in terms:
                module.pos_att_type = [term]
                parts[term] = module.disentangled_attention_bias(q, k, kwargs["relative_pos"], rel, factor)
            module.pos_att_type = terms
            layers.append({name: part.view(heads, *part.shape[-2:]).numpy() for name, part in parts.items()})
    return layers, [a[0].numpy() for a in out.attentions]


DEBERTA_LAYOUTS = {"deberta-v2 v3": None} | {
    name: overrides for name, (family, overrides) in LAYOUTS.items() if family == "deberta-v2"
}


@pytest.mark.parametrize("layout", list(DEBERTA_LAYOUTS))
def test_deberta_parts_are_the_references_terms_and_sum_to_its_scores(tmp_path, layout):
    reference, model, tokenizer = saved_base(tmp_path, "deberta-v2", DEBERTA_LAYOUTS[layout])
    assert has_attention_parts(model)
    parts = attention_parts(model, tokenizer, TEXT)
    ids = torch.tensor([tokenizer.encode(TEXT).ids])
    expected, reference_maps = reference_parts(reference, ids)
    names = ["c2c", *model.config.options.position_terms]
    assert sorted(parts.parts) == sorted(names)
    for layer, terms in enumerate(expected):
        for name in names:
            np.testing.assert_allclose(parts.parts[name][layer], terms[name], atol=2e-5, err_msg=name)
        total = sum(terms.values())
        np.testing.assert_allclose(parts.scores[layer], total, atol=5e-5)
        np.testing.assert_allclose(parts.probabilities()[layer], reference_maps[layer], atol=2e-6)
    # the parts differ from one another: position terms are not a copy of the content term
    assert not np.allclose(parts.parts["c2c"], parts.parts[names[1]], atol=1e-3)


@pytest.mark.parametrize("family", ["bert", "modernbert"])
def test_parts_of_a_model_without_position_terms_are_refused_clearly(tmp_path, family):
    _, model, tokenizer = saved_base(tmp_path, family)
    assert not has_attention_parts(model)
    with pytest.raises(BertStudioError, match="no content and position parts"):
        attention_parts(model, tokenizer, TEXT)
