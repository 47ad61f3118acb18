"""One suite every registered model family must pass against transformers' eager reference: hidden
states, every layer's attention probabilities, each task head's logits, tokenizer ids, and the round
trip through save_pretrained. A family is tested by being registered (and given a reference)."""

from __future__ import annotations

import json

import pytest
import torch

from bertstudio.model import load_pretrained, save_pretrained
from bertstudio.model.family import all_families
from bertstudio.text import encode, special_token, special_token_id
from tests.core.family_references import LAYOUTS, PAIRS, REFERENCES, TEXTS, VARIED_TEXTS, save_reference

transformers = pytest.importorskip("transformers")

TOLERANCE = 1e-4
FAMILIES = [family.name for family in all_families()]
PROBLEM_TYPES = {
    "classification": "single_label_classification",
    "multi_label": "multi_label_classification",
    "regression": "regression",
}
FAMILY_TASKS = [(family.name, task) for family in all_families() for task in family.tasks]


def padded_pairs(model, tokenizer):
    """A padded batch of text pairs, padded with the tokenizer's own pad id."""
    encodings = encode(tokenizer, TEXTS, PAIRS)
    length = max(len(e.ids) for e in encodings)
    pad = special_token_id(tokenizer, "pad")
    ids = torch.tensor([e.ids + [pad] * (length - len(e.ids)) for e in encodings])
    types = torch.tensor([e.type_ids + [0] * (length - len(e.ids)) for e in encodings])
    mask = torch.tensor([[1] * len(e.ids) + [0] * (length - len(e.ids)) for e in encodings])
    assert (mask == 0).any(), "the batch must contain padding"
    inputs = {"input_ids": ids, "attention_mask": mask}
    if model.family.capabilities.token_types:
        inputs["token_type_ids"] = types
    return inputs


def max_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    return (a - b).abs().max().item()


def reference_outputs(reference, inputs):
    with torch.no_grad():
        return reference(**inputs, output_attentions=True)


def assert_matches(ours, reference, inputs, task):
    with torch.no_grad():
        mine = ours(**inputs, output_attentions=True)
    theirs = reference_outputs(reference, inputs)
    mask = inputs["attention_mask"].bool()
    if task == "base":
        assert max_diff(mine.last_hidden_state[mask], theirs.last_hidden_state[mask]) < TOLERANCE
        if ours.family.capabilities.pooler:
            assert max_diff(mine.pooler_output, theirs.pooler_output) < TOLERANCE
    elif task == "pretraining":
        assert max_diff(mine.logits, theirs.prediction_logits) < TOLERANCE
        second = getattr(theirs, "seq_relationship_logits", None)
        assert max_diff(mine.nsp_logits, second if second is not None else theirs.sop_logits) < TOLERANCE
    elif task == "question_answering":
        assert max_diff(mine.start_logits, theirs.start_logits) < TOLERANCE
        assert max_diff(mine.end_logits, theirs.end_logits) < TOLERANCE
    else:
        assert max_diff(mine.logits, theirs.logits) < TOLERANCE
    assert len(mine.attentions) == len(theirs.attentions) == ours.config.num_hidden_layers
    for layer_ours, layer_theirs in zip(mine.attentions, theirs.attentions, strict=True):
        assert layer_ours.shape == layer_theirs.shape
        assert max_diff(layer_ours, layer_theirs) < TOLERANCE


def test_every_family_has_a_reference():
    assert set(FAMILIES) <= set(REFERENCES), "register a reference for each family in family_references.py"


@pytest.mark.parametrize(("family", "task"), FAMILY_TASKS)
def test_family_matches_transformers_and_round_trips(tmp_path, family, task):
    spec = next(f for f in all_families() if f.name == family)
    architecture = spec.architectures[task]
    reference, _ = save_reference(
        tmp_path / "reference",
        family,
        architecture,
        num_labels={"regression": 1, "pretraining": 2, "question_answering": 2}.get(task, 3),
        problem_type=PROBLEM_TYPES.get(task),
    )
    ours, tokenizer = load_pretrained(tmp_path / "reference")
    assert ours.family is spec and ours.task == task
    assert ours.load_report.newly_initialized == []
    inputs = padded_pairs(ours, tokenizer)
    assert_matches(ours, reference, inputs, task)

    saved = save_pretrained(ours, tokenizer, tmp_path / "ours")
    auto = getattr(transformers, architecture).from_pretrained(saved, attn_implementation="eager").eval()
    assert_matches(ours, auto, inputs, task)
    again, _ = load_pretrained(saved)
    assert again.task == task and again.load_report.newly_initialized == []
    assert_matches(again, reference, inputs, task)


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_other_layouts_of_a_family_match_transformers_and_train_alike(tmp_path, layout):
    """Each further layout: logits, attentions and the round trip as above, and one training step's loss
    and gradients equal the reference's (dropout off), so every weight learns as it does there."""
    family, overrides = LAYOUTS[layout]
    spec = next(f for f in all_families() if f.name == family)
    architecture = spec.architectures["classification"]
    reference, _ = save_reference(tmp_path / "reference", family, architecture, overrides=overrides)
    ours, tokenizer = load_pretrained(tmp_path / "reference")
    assert ours.load_report.newly_initialized == []
    inputs = padded_pairs(ours, tokenizer)
    assert_matches(ours, reference, inputs, "classification")
    saved = save_pretrained(ours, tokenizer, tmp_path / "ours")
    auto = getattr(transformers, architecture).from_pretrained(saved, attn_implementation="eager").eval()
    assert_matches(ours, auto, inputs, "classification")

    labels = torch.tensor([0, 2, 1])
    ours.train()
    for module in [*ours.modules(), *reference.modules()]:
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    reference.train()
    mine = ours(**inputs, labels=labels)
    theirs = reference(**inputs, labels=labels)
    assert abs(mine.loss.item() - theirs.loss.item()) < TOLERANCE
    mine.loss.backward()
    theirs.loss.backward()
    reference_parameters = dict(reference.named_parameters())
    compared = 0
    for name, parameter in ours.named_parameters():
        theirs_name = spec.to_checkpoint_key(name, ours.task)
        if theirs_name in reference_parameters and parameter.grad is not None:
            assert max_diff(parameter.grad, reference_parameters[theirs_name].grad) < TOLERANCE, name
            compared += 1
    assert compared == len(reference_parameters)


@pytest.mark.parametrize("family", FAMILIES)
def test_tokenizer_ids_equal_transformers(tmp_path, family):
    spec = next(f for f in all_families() if f.name == family)
    save_reference(tmp_path / "reference", family, spec.architectures["base"])
    _, ours = load_pretrained(tmp_path / "reference")
    theirs = transformers.AutoTokenizer.from_pretrained(tmp_path / "reference")
    for text in VARIED_TEXTS:
        assert encode(ours, [text])[0].ids == theirs(text)["input_ids"], text
    pairs = list(zip(VARIED_TEXTS, reversed(VARIED_TEXTS), strict=True))
    expected = theirs([a for a, _ in pairs], [b for _, b in pairs])["input_ids"]
    assert [e.ids for e in encode(ours, [a for a, _ in pairs], [b for _, b in pairs])] == expected
    # the saved folder's tokenizer is the same for transformers
    saved = save_pretrained(load_pretrained(tmp_path / "reference")[0], ours, tmp_path / "ours")
    reloaded = transformers.AutoTokenizer.from_pretrained(saved)
    assert [reloaded(text)["input_ids"] for text in VARIED_TEXTS] == [
        theirs(t)["input_ids"] for t in VARIED_TEXTS
    ]
    assert reloaded.mask_token == theirs.mask_token and reloaded.pad_token == theirs.pad_token


@pytest.mark.parametrize("layout", ["sharded", "bin"])
@pytest.mark.parametrize("family", FAMILIES)
def test_sharded_and_weights_only_bin_folders_load(tmp_path, family, layout):
    spec = next(f for f in all_families() if f.name == family)
    folder = tmp_path / "reference"
    reference, _ = save_reference(folder, family, spec.architectures["masked_lm"])
    (folder / "model.safetensors").unlink()
    if layout == "bin":
        torch.save(reference.state_dict(), folder / "pytorch_model.bin")
    else:
        reference.save_pretrained(folder, max_shard_size="50KB")
        assert (folder / "model.safetensors.index.json").is_file()
    ours, tokenizer = load_pretrained(folder)
    assert ours.load_report.newly_initialized == []
    assert_matches(ours, reference, padded_pairs(ours, tokenizer), "masked_lm")


def write_vocab_files(folder, kind):
    """The family's vocabulary files in place of tokenizer.json (vocab.txt, or vocab.json + merges.txt)."""
    import json

    spec = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))
    (folder / "tokenizer.json").unlink()
    vocab = spec["model"]["vocab"]
    if kind == "wordpiece":
        ordered = sorted(vocab.items(), key=lambda item: item[1])
        (folder / "vocab.txt").write_text("".join(f"{token}\n" for token, _ in ordered), encoding="utf-8")
        return
    (folder / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    merges = [m if isinstance(m, str) else " ".join(m) for m in spec["model"]["merges"]]
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n", encoding="utf-8")


# ModernBERT's folders ship tokenizer.json only (its tokenizer class has no vocabulary-file form)
VOCAB_FILE_FAMILIES = [
    f.name
    for f in all_families()
    if f.tokenizer_kind in ("wordpiece", "byte_level_bpe") and f.tokenizer_class != "PreTrainedTokenizerFast"
]


@pytest.mark.parametrize("family", VOCAB_FILE_FAMILIES)
def test_vocabulary_files_without_tokenizer_json_tokenize_as_transformers(tmp_path, family):
    spec = next(f for f in all_families() if f.name == family)
    folder = tmp_path / "reference"
    save_reference(folder, family, spec.architectures["base"])
    write_vocab_files(folder, spec.tokenizer_kind)
    _, ours = load_pretrained(folder)
    theirs = transformers.AutoTokenizer.from_pretrained(folder)
    for text in VARIED_TEXTS:
        assert encode(ours, [text])[0].ids == theirs(text)["input_ids"], text
    assert encode(ours, [TEXTS[0]], [PAIRS[0]])[0].ids == theirs(TEXTS[0], PAIRS[0])["input_ids"]


# family -> (its SentencePiece file, tokenizer class, the special pieces its model file holds)
SENTENCEPIECE_FOLDERS = {
    "deberta-v2": ("spm.model", "DebertaV2Tokenizer", dict(pad_id=0, bos_id=1, eos_id=2, unk_id=3)),
    "xlm-roberta": ("sentencepiece.bpe.model", "XLMRobertaTokenizer", dict(unk_id=0, bos_id=1, eos_id=2)),
    "albert": (
        "spiece.model",
        "AlbertTokenizer",
        dict(pad_id=0, unk_id=1, bos_id=-1, eos_id=-1, control_symbols=["[CLS]", "[SEP]", "[MASK]"]),
    ),
}
PIECE_NAMES = {
    "deberta-v2": dict(pad_piece="[PAD]", bos_piece="[CLS]", eos_piece="[SEP]", unk_piece="[UNK]"),
    "xlm-roberta": dict(unk_piece="<unk>", bos_piece="<s>", eos_piece="</s>"),
    "albert": dict(pad_piece="<pad>", unk_piece="<unk>"),
}
COMPATIBILITY_TEXT = "ﬁ ﬂ Ⅻ ① ＡＢＣ Ｃａｆé"  # folded by the model file's NFKC rules


@pytest.mark.parametrize("family", list(SENTENCEPIECE_FOLDERS))
def test_a_sentencepiece_model_without_tokenizer_json_tokenizes_as_sentencepiece(tmp_path, family):
    """A folder with only the family's SentencePiece file (trained here by sentencepiece, NFKC rules
    compiled in): the ids equal SentencePiece's own around the family's special tokens, and transformers'
    (whose fast tokenizer skips the compiled rules, so it is compared on text they leave alone); the
    saved tokenizer.json reads back the same in transformers."""
    import io
    import unicodedata

    sentencepiece = pytest.importorskip("sentencepiece")
    from bertstudio.text import load_tokenizer
    from tests.core.family_references import CORPUS

    file_name, tokenizer_class, special_ids = SENTENCEPIECE_FOLDERS[family]
    folder = tmp_path / "folder"
    save_reference(folder, family, next(f for f in all_families() if f.name == family).architectures["base"])
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        (folder / name).unlink(missing_ok=True)
    trained = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(CORPUS * 3 + [COMPATIBILITY_TEXT.lower()]),
        model_writer=trained,
        vocab_size=150,
        model_type="unigram",
        hard_vocab_limit=False,
        minloglevel=2,
        **special_ids,
        **PIECE_NAMES[family],
    )
    (folder / file_name).write_bytes(trained.getvalue())
    (folder / "tokenizer_config.json").write_text(json.dumps({"tokenizer_class": tokenizer_class}))

    ours = load_tokenizer(folder)
    processor = sentencepiece.SentencePieceProcessor(model_proto=trained.getvalue())
    first, last = ("<s>", "</s>") if family == "xlm-roberta" else ("[CLS]", "[SEP]")

    def sentencepiece_ids(text):
        if family == "albert":  # ALBERT's slow tokenizer strips accents and lower-cases first
            text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
            text = text.lower()
        pieces = [processor.id_to_piece(i) for i in processor.encode(text)]
        return [ours.token_to_id(piece) for piece in [first, *pieces, last]]

    theirs = transformers.AutoTokenizer.from_pretrained(folder)
    for text in VARIED_TEXTS:
        assert encode(ours, [text])[0].ids == sentencepiece_ids(text) == theirs(text)["input_ids"], text
    assert encode(ours, [COMPATIBILITY_TEXT])[0].ids == sentencepiece_ids(COMPATIBILITY_TEXT)
    assert encode(ours, [TEXTS[0]], [PAIRS[0]])[0].ids == theirs(TEXTS[0], PAIRS[0])["input_ids"]
    assert ours.token_to_id(theirs.mask_token) == theirs.mask_token_id

    model, tokenizer = load_pretrained(folder)
    saved = transformers.AutoTokenizer.from_pretrained(save_pretrained(model, tokenizer, tmp_path / "ours"))
    for text in VARIED_TEXTS:
        assert saved(text)["input_ids"] == encode(ours, [text])[0].ids, text


def test_a_damaged_sentencepiece_model_says_what_and_where(tmp_path):
    from bertstudio.errors import TokenizerError

    folder = tmp_path / "reference"
    save_reference(folder, "albert", "AlbertModel")
    (folder / "tokenizer.json").unlink()
    (folder / "spiece.model").write_bytes(b"\x0a\x05\x0a\x03ab")  # a piece cut off mid-way
    with pytest.raises(TokenizerError, match="SentencePiece model cannot be read") as raised:
        load_pretrained(folder)
    assert raised.value.path == str(folder / "spiece.model") and "tokenizer.json" in raised.value.hint


@pytest.mark.parametrize("family", FAMILIES)
def test_fill_mask_refuses_a_masked_lm_head_the_checkpoint_did_not_carry(tmp_path, family):
    """An encoder checkpoint without a trained masked-LM head (DeBERTa-v3's case: pretrained by replaced-token
    detection) opened for fill-mask says its predictions would be random instead of showing them."""
    from bertstudio.errors import BertStudioError
    from bertstudio.inspect import fill_mask, fill_mask_unavailable
    from bertstudio.model.summary import summarize

    spec = next(f for f in all_families() if f.name == family)
    save_reference(tmp_path / "encoder", family, spec.architectures["base"])
    model, tokenizer = load_pretrained(tmp_path / "encoder", task="masked_lm")
    assert "no trained masked-LM head" in fill_mask_unavailable(model)
    mask = special_token(tokenizer, "mask")
    with pytest.raises(BertStudioError, match="would show random words"):
        fill_mask(model, tokenizer, f"a {mask} here")
    assert "no trained masked-LM head" in summarize(tmp_path / "encoder", task="masked_lm")["fill_mask"]

    save_reference(tmp_path / "masked_lm", family, spec.architectures["masked_lm"])
    trained, _ = load_pretrained(tmp_path / "masked_lm")
    assert fill_mask_unavailable(trained) is None
    assert summarize(tmp_path / "masked_lm")["fill_mask"] == "available"


def test_model_info_and_list_show_the_family_and_what_it_can_do(tmp_path, capsys, monkeypatch):
    from bertstudio.cli import main

    cache = tmp_path / "hub"
    snapshot = cache / "models--someone--tiny-roberta" / "snapshots" / "abc"
    save_reference(snapshot, "roberta", "RobertaForMaskedLM")
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    assert main(["model", "list"]) == 0
    listed = capsys.readouterr().out
    assert "someone/tiny-roberta\tRoBERTa\tpooler, masked_lm, attention_maps, head_masking" in listed
    assert main(["model", "info", str(snapshot), "--json"]) == 0
    import json

    info = json.loads(capsys.readouterr().out)
    assert info["family"] == "RoBERTa" and info["task"] == "masked_lm"
    assert "pretraining" not in info["tasks"] and "token_types" not in info["capabilities"]


MULTILINGUAL = [
    "Café naïve résumé, déjà vu!",
    "東京タワー and 北京 in one line",
    "emoji 🤗🚀 at the end 👍🏽",
    "https://example.com/a/b?c=d&e=f#frag",
    "  spaces   and\ttabs\nand newlines  ",
    "Здравствуй, мир! مرحبا بالعالم नमस्ते दुनिया",
    "ﬁ ﬂ Ⅻ ① ＡＢＣ",
    "Müller's Straße — „quoted“",
]


def test_a_real_multilingual_xlm_r_tokenizer_and_a_model_on_it(tmp_path):
    """multilingual-e5-small's real XLM-R SentencePiece tokenizer.json (250,002 pieces, shipped by a
    package) under a random XLM-RoBERTa: ids as transformers', the same logits, fill-mask with <mask>."""
    import json
    import shutil

    assets = pytest.importorskip("semantra_multilingual")
    from bertstudio.inspect import fill_mask
    from bertstudio.text import load_tokenizer

    folder = tmp_path / "xlmr"
    source = load_tokenizer(assets.get_asset_dir())
    settings = dict(
        vocab_size=source.get_vocab_size(),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=130,
        type_vocab_size=1,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
    )
    torch.manual_seed(0)
    config = transformers.XLMRobertaConfig(**settings)
    reference = transformers.XLMRobertaForMaskedLM._from_config(config, attn_implementation="eager").eval()
    reference.save_pretrained(folder)
    shutil.copy(f"{assets.get_asset_dir()}/tokenizer.json", folder / "tokenizer.json")
    (folder / "tokenizer_config.json").write_text(json.dumps({"tokenizer_class": "XLMRobertaTokenizer"}))

    ours, tokenizer = load_pretrained(folder)
    theirs = transformers.AutoTokenizer.from_pretrained(folder)
    for text in MULTILINGUAL:
        assert encode(tokenizer, [text])[0].ids == theirs(text)["input_ids"], text
    encodings = encode(tokenizer, MULTILINGUAL[:4], MULTILINGUAL[4:])
    assert [e.ids for e in encodings] == theirs(MULTILINGUAL[:4], MULTILINGUAL[4:])["input_ids"]
    assert_matches(ours, reference, padded_pairs(ours, tokenizer), "masked_lm")
    [prediction] = fill_mask(ours, tokenizer, "Paris est la <mask> de la France.")
    assert len(prediction.candidates) == 5


@pytest.mark.parametrize("family", FAMILIES)
def test_a_model_built_here_saves_what_transformers_loads(tmp_path, family):
    """A fresh model of each family (not read from a checkpoint) is saved in a form transformers opens."""
    from bertstudio.model import BertConfig, build_model

    settings = dict(REFERENCES[family].settings)
    config = BertConfig.from_dict(
        {**settings, "model_type": family, "vocab_size": 99, "id2label": {0: "a", 1: "b"}}
    )
    torch.manual_seed(0)
    ours = build_model(config, "classification").eval()
    saved = save_pretrained(ours, None, tmp_path / "ours")
    theirs = transformers.AutoModelForSequenceClassification.from_pretrained(
        saved, attn_implementation="eager"
    ).eval()
    ids = torch.randint(5, 99, (2, 9))
    mask = torch.ones_like(ids)
    mask[1, 6:] = 0
    ids[1, 6:] = config.pad_token_id
    with torch.no_grad():
        assert (
            max_diff(ours(ids, attention_mask=mask).logits, theirs(input_ids=ids, attention_mask=mask).logits)
            < TOLERANCE
        )
