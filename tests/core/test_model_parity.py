"""Our BERT against transformers' eager reference: same weights in, same numbers out."""

from __future__ import annotations

import pytest
import torch

from bertstudio.model import BertConfig, build_model, load_pretrained, save_pretrained
from bertstudio.text import encode

transformers = pytest.importorskip("transformers")

TEXTS = [
    "Hello world, this is a test of padding.",
    "Short one",
    "Café naïve 東京 🤗 https://example.com/?q=1",
]
PAIRS = ["A second segment here", "and another", "x"]
TOLERANCE = 1e-4


def padded_batch(tokenizer, texts=TEXTS, pairs=PAIRS):
    encodings = encode(tokenizer, texts, pairs)
    length = max(len(e.ids) for e in encodings)

    def pad(rows):
        return torch.tensor([row + [0] * (length - len(row)) for row in rows])

    ids = pad([e.ids for e in encodings])
    types = pad([e.type_ids for e in encodings])
    mask = pad([[1] * len(e.ids) for e in encodings])
    assert (mask == 0).any(), "the batch must contain padding"
    assert (types == 1).any(), "the batch must contain second segments"
    return ids, mask, types


def max_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    return (a - b).abs().max().item()


def assert_encoder_parity(ours, reference, ids, mask, types):
    with torch.no_grad():
        mine = ours(ids, attention_mask=mask, token_type_ids=types, output_attentions=True)
        theirs = reference(input_ids=ids, attention_mask=mask, token_type_ids=types, output_attentions=True)
    assert max_diff(mine.last_hidden_state, theirs.last_hidden_state) < TOLERANCE
    assert max_diff(mine.pooler_output, theirs.pooler_output) < TOLERANCE
    assert len(mine.attentions) == len(theirs.attentions) == ours.config.num_hidden_layers
    for layer_ours, layer_theirs in zip(mine.attentions, theirs.attentions):
        assert layer_ours.shape == layer_theirs.shape
        assert max_diff(layer_ours, layer_theirs) < TOLERANCE


def random_reference_folder(tmp_path, cls_name="BertModel", **config_overrides):
    """A randomly initialised BERT saved by transformers itself (odd settings on purpose)."""
    settings = dict(
        vocab_size=120,
        hidden_size=48,
        num_hidden_layers=3,
        num_attention_heads=4,
        intermediate_size=96,
        hidden_act="gelu_new",
        layer_norm_eps=1e-7,
        max_position_embeddings=40,
        pad_token_id=0,
        num_labels=3,
    )
    settings.update(config_overrides)
    torch.manual_seed(1)
    config = transformers.BertConfig(**settings)
    model = getattr(transformers, cls_name)._from_config(config, attn_implementation="eager").eval()
    model.save_pretrained(tmp_path)
    return model


def random_ids(vocab=120, batch=3, length=12):
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(5, vocab, (batch, length), generator=generator)
    mask = torch.ones_like(ids)
    mask[1, 8:] = 0
    mask[2, 5:] = 0
    types = torch.zeros_like(ids)
    types[:, 6:] = 1
    return ids, mask, types


def copy_tokenizer(tmp_path, tiny_tokenizer):
    tiny_tokenizer.save(str(tmp_path / "tokenizer.json"))


def test_minilm_matches_transformers(minilm_path):
    ours, tokenizer = load_pretrained(minilm_path)
    reference = transformers.BertModel.from_pretrained(minilm_path, attn_implementation="eager").eval()
    assert_encoder_parity(ours, reference, *padded_batch(tokenizer))


def test_minilm_sdpa_and_explicit_paths_agree(minilm_path):
    model, tokenizer = load_pretrained(minilm_path)
    ids, mask, types = padded_batch(tokenizer)
    with torch.no_grad():
        fast = model(ids, mask, types).last_hidden_state
        explicit = model(ids, mask, types, output_attentions=True)
    real = mask.bool()
    assert max_diff(fast[real], explicit.last_hidden_state[real]) < 1e-5
    for probs in explicit.attentions:
        row_sums = probs.sum(-1)
        assert torch.allclose(row_sums, torch.ones_like(row_sums), atol=1e-5)
        # padded keys get no weight
        assert probs.masked_select(~real[:, None, None, :].expand_as(probs)).abs().max() == 0


def test_random_bert_saved_by_transformers_matches(tmp_path, tiny_tokenizer):
    reference = random_reference_folder(tmp_path)
    copy_tokenizer(tmp_path, tiny_tokenizer)
    ours, _ = load_pretrained(tmp_path)
    assert ours.config.hidden_act == "gelu_new" and ours.config.layer_norm_eps == 1e-7
    assert_encoder_parity(ours, reference, *random_ids())


@pytest.mark.parametrize("act", ["relu", "gelu"])
def test_activation_from_config_is_honoured(tmp_path, tiny_tokenizer, act):
    reference = random_reference_folder(tmp_path, hidden_act=act)
    copy_tokenizer(tmp_path, tiny_tokenizer)
    ours, _ = load_pretrained(tmp_path)
    assert_encoder_parity(ours, reference, *random_ids())


def test_masked_lm_logits_match(tmp_path, tiny_tokenizer):
    reference = random_reference_folder(tmp_path, "BertForMaskedLM")
    copy_tokenizer(tmp_path, tiny_tokenizer)
    ours, _ = load_pretrained(tmp_path, task="masked_lm")
    assert ours.load_report.newly_initialized == []
    ids, mask, types = random_ids()
    with torch.no_grad():
        mine = ours(ids, mask, types).logits
        theirs = reference(input_ids=ids, attention_mask=mask, token_type_ids=types).logits
    assert max_diff(mine, theirs) < TOLERANCE
    assert ours.cls.predictions.decoder.weight is ours.bert.embeddings.word_embeddings.weight


def test_masked_lm_loss_matches(tmp_path, tiny_tokenizer):
    reference = random_reference_folder(tmp_path, "BertForMaskedLM")
    copy_tokenizer(tmp_path, tiny_tokenizer)
    ours, _ = load_pretrained(tmp_path, task="masked_lm")
    ids, mask, types = random_ids()
    labels = torch.full_like(ids, -100)
    labels[:, 2] = ids[:, 2]
    labels[0, 4] = ids[0, 4]
    with torch.no_grad():
        mine = ours(ids, mask, types, labels=labels)
        theirs = reference(input_ids=ids, attention_mask=mask, token_type_ids=types, labels=labels)
    assert abs(mine.loss.item() - theirs.loss.item()) < TOLERANCE
    assert mine.logits.shape == (4, 120)  # only the masked positions are projected


def test_pretraining_heads_match(tmp_path, tiny_tokenizer):
    reference = random_reference_folder(tmp_path, "BertForPreTraining")
    copy_tokenizer(tmp_path, tiny_tokenizer)
    ours, _ = load_pretrained(tmp_path, task="pretraining")
    ids, mask, types = random_ids()
    with torch.no_grad():
        mine = ours(ids, mask, types)
        theirs = reference(input_ids=ids, attention_mask=mask, token_type_ids=types)
    assert max_diff(mine.logits, theirs.prediction_logits) < TOLERANCE
    assert max_diff(mine.nsp_logits, theirs.seq_relationship_logits) < TOLERANCE


@pytest.mark.parametrize(
    "cls_name, task, problem_type",
    [
        ("BertForSequenceClassification", "classification", "single_label_classification"),
        ("BertForSequenceClassification", "multi_label", "multi_label_classification"),
        ("BertForTokenClassification", "token_classification", None),
    ],
)
def test_task_logits_and_loss_match(tmp_path, tiny_tokenizer, cls_name, task, problem_type):
    reference = random_reference_folder(tmp_path, cls_name, problem_type=problem_type)
    copy_tokenizer(tmp_path, tiny_tokenizer)
    ours, _ = load_pretrained(tmp_path, task=task)
    ids, mask, types = random_ids()
    if task == "classification":
        labels = torch.tensor([0, 2, 1])
    elif task == "multi_label":
        labels = torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    else:
        labels = torch.randint(0, 3, ids.shape, generator=torch.Generator().manual_seed(2))
        labels[mask == 0] = -100
    with torch.no_grad():
        mine = ours(ids, mask, types, labels=labels)
        theirs = reference(input_ids=ids, attention_mask=mask, token_type_ids=types, labels=labels)
    assert max_diff(mine.logits, theirs.logits) < TOLERANCE
    assert abs(mine.loss.item() - theirs.loss.item()) < TOLERANCE


def test_regression_head_matches(tmp_path, tiny_tokenizer):
    reference = random_reference_folder(
        tmp_path, "BertForSequenceClassification", num_labels=1, problem_type="regression"
    )
    copy_tokenizer(tmp_path, tiny_tokenizer)
    ours, _ = load_pretrained(tmp_path, task="regression")
    ids, mask, types = random_ids()
    targets = torch.tensor([0.5, -1.0, 2.0])
    with torch.no_grad():
        mine = ours(ids, mask, types, labels=targets)
        theirs = reference(input_ids=ids, attention_mask=mask, token_type_ids=types, labels=targets)
    assert max_diff(mine.logits, theirs.logits) < TOLERANCE
    assert abs(mine.loss.item() - theirs.loss.item()) < TOLERANCE


@pytest.mark.parametrize(
    "task, auto_class",
    [
        ("base", "AutoModel"),
        ("classification", "AutoModelForSequenceClassification"),
        ("token_classification", "AutoModelForTokenClassification"),
        ("masked_lm", "AutoModelForMaskedLM"),
    ],
)
def test_save_pretrained_loads_in_transformers(tmp_path, tiny_tokenizer, task, auto_class):
    config = BertConfig(
        vocab_size=tiny_tokenizer.get_vocab_size(),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
        id2label={0: "neg", 1: "neutral", 2: "pos"},
    )
    torch.manual_seed(3)
    ours = build_model(config, task).eval()
    save_pretrained(ours, tiny_tokenizer, tmp_path)
    reference = (
        getattr(transformers, auto_class).from_pretrained(tmp_path, attn_implementation="eager").eval()
    )
    ids, mask, types = random_ids(vocab=tiny_tokenizer.get_vocab_size())
    with torch.no_grad():
        mine = ours(ids, mask, types)
        theirs = reference(input_ids=ids, attention_mask=mask, token_type_ids=types)
    field = "last_hidden_state" if task == "base" else "logits"
    assert max_diff(getattr(mine, field), getattr(theirs, field)) < TOLERANCE
    if task == "classification":
        assert reference.config.id2label == {0: "neg", 1: "neutral", 2: "pos"}
    reloaded, _ = load_pretrained(tmp_path)
    assert reloaded.task == task
    with torch.no_grad():
        again = reloaded(ids, mask, types)
    assert max_diff(getattr(mine, field), getattr(again, field)) == 0


def test_transformers_tokenizer_reads_our_saved_files(tmp_path, minilm_path):
    model, tokenizer = load_pretrained(minilm_path)
    save_pretrained(model, tokenizer, tmp_path)
    theirs = transformers.BertTokenizerFast.from_pretrained(tmp_path)
    for text in TEXTS:
        ids = tokenizer.encode(text).ids
        assert theirs(text)["input_ids"] == ids


def test_training_mode_packing_changes_no_loss_or_gradient(tiny_model_dir):
    """In training mode padded batches run their dense layers on real tokens only: with dropout off,
    loss and gradients must equal those of the plain (eval-mode) forward."""
    model, _ = load_pretrained(tiny_model_dir, task="classification", num_labels=3)
    for module in model.modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    for attention in (layer.attention.self for layer in model.bert.encoder.layer):
        attention.dropout_p = 0.0
    ids, mask, types = random_ids(vocab=model.config.vocab_size)
    labels = torch.tensor([0, 2, 1])

    def loss_and_grads(training: bool):
        model.train(training)
        model.zero_grad()
        loss = model(ids, mask, types, labels=labels).loss
        loss.backward()
        return loss.item(), {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}

    packed_loss, packed_grads = loss_and_grads(True)
    plain_loss, plain_grads = loss_and_grads(False)
    assert abs(packed_loss - plain_loss) < 1e-6
    assert packed_grads.keys() == plain_grads.keys()
    for name, grad in plain_grads.items():
        assert max_diff(packed_grads[name], grad) < 1e-6, name


@pytest.mark.parametrize("task", ["masked_lm", "token_classification"])
def test_a_batch_without_scored_tokens_has_zero_loss_not_nan(tiny_model_dir, task):
    """A data-parallel shard can hold no masked or tagged token: its loss must add nothing to the mean
    (NaN would spread to every process's gradients through the all-reduce)."""
    model, _ = load_pretrained(tiny_model_dir, task=task, num_labels=3)
    ids, mask, types = random_ids(vocab=model.config.vocab_size)
    out = model(ids, mask, types, labels=torch.full_like(ids, -100))
    out.loss.backward()
    assert out.loss.item() == 0.0
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    assert grads and all(torch.equal(g, torch.zeros_like(g)) for g in grads)
