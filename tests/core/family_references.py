"""Reference checkpoints of every model family, built by transformers with random weights (test-only),
with a tokenizer of the family's real kind trained here with `tokenizers` (WordPiece, byte-level BPE or
SentencePiece Unigram). A registered family without an entry here fails the family suite."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
from tokenizers import (
    ByteLevelBPETokenizer,
    SentencePieceUnigramTokenizer,
    Tokenizer,
    processors,
)

from bertstudio.text.tokenizer import train_wordpiece

CORPUS = [
    "Hello world, this is a test of padding.",
    "Short one",
    "Café naïve résumé Ærøskøbing 東京 北京 🤗 🚀 https://example.com/path?q=1&r=2",
    "The quick brown fox jumps over the lazy dog.",
    "Paris is the capital of France; Berlin is the capital of Germany.",
    "Emails like someone@example.org and numbers like 3.14159 or 1,000,000.",
    "ÀÉÎÕÜ àéîõü ß œ Œ ﬁ ﬂ — “quoted” ‘single’ …",
    "日本語のテキストと中文文本。한국어 텍스트도 있습니다.",
]
VARIED_TEXTS = [
    "Café naïve résumé, déjà vu!",
    "東京タワー and 北京 in one line",
    "emoji 🤗🚀 at the end 👍🏽",
    "https://example.com/a/b?c=d&e=f#frag",
    "  spaces   and\ttabs\nand newlines  ",
    "UPPER lower MiXeD 12345",
]
TEXTS = [
    "Hello world, this is a test of padding.",
    "Short one",
    "Café naïve 東京 🤗 https://example.com/?q=1",
]
PAIRS = ["A second segment here", "and another", "x"]

SIZES = dict(num_hidden_layers=2, num_attention_heads=4, hidden_act="gelu_new")
# RoBERTa's and XLM-R's: a padding row at 1 (positions start at 2), one token type
ROBERTA_SETTINGS = dict(
    SIZES,
    hidden_size=32,
    intermediate_size=64,
    max_position_embeddings=66,
    type_vocab_size=1,
    layer_norm_eps=1e-5,
    pad_token_id=1,
    bos_token_id=0,
    eos_token_id=2,
)


@dataclass(frozen=True)
class Reference:
    """How to build one family's reference: its transformers config and its tokenizer kind."""

    config_class: str
    # "wordpiece", "byte_level_bpe", "byte_level_bpe_bert_specials", "unigram_xlmr", "unigram_albert",
    # "unigram_deberta"
    tokenizer_kind: str
    tokenizer_class: str
    settings: dict


REFERENCES = {
    "bert": Reference(
        "BertConfig",
        "wordpiece",
        "BertTokenizer",
        dict(SIZES, hidden_size=32, intermediate_size=64, max_position_embeddings=64, layer_norm_eps=1e-7),
    ),
    "roberta": Reference(
        "RobertaConfig",
        "byte_level_bpe",
        "RobertaTokenizer",
        ROBERTA_SETTINGS,
    ),
    "xlm-roberta": Reference(
        "XLMRobertaConfig",
        "unigram_xlmr",
        "XLMRobertaTokenizer",
        ROBERTA_SETTINGS,
    ),
    "distilbert": Reference(
        "DistilBertConfig",
        "wordpiece",
        "DistilBertTokenizer",
        dict(n_layers=2, n_heads=4, dim=32, hidden_dim=64, activation="gelu", max_position_embeddings=64),
    ),
    "electra": Reference(
        "ElectraConfig",
        "wordpiece",
        "ElectraTokenizer",
        dict(SIZES, embedding_size=16, hidden_size=32, intermediate_size=64, max_position_embeddings=64),
    ),
    "albert": Reference(
        "AlbertConfig",
        "unigram_albert",
        "AlbertTokenizer",
        dict(
            SIZES,
            embedding_size=16,
            hidden_size=32,
            intermediate_size=64,
            max_position_embeddings=64,
            num_hidden_groups=1,
            inner_group_num=1,
            pad_token_id=0,
        ),
    ),
    # DeBERTa-v3's layout: relative attention only (no absolute positions), both position terms through
    # the shared query/key projections, log buckets narrow enough that the test texts reach the log range
    "deberta-v2": Reference(
        "DebertaV2Config",
        "unigram_deberta",
        "DebertaV2Tokenizer",
        dict(
            SIZES,
            hidden_size=32,
            intermediate_size=64,
            max_position_embeddings=64,
            type_vocab_size=0,
            layer_norm_eps=1e-7,
            relative_attention=True,
            position_biased_input=False,
            pos_att_type=["p2c", "c2p"],
            position_buckets=8,
            max_relative_positions=64,
            norm_rel_ebd="layer_norm",
            share_att_key=True,
            pad_token_id=0,
        ),
    ),
    # ModernBERT: global layer 0, local layer 1 with a window narrow enough that the test texts exceed it;
    # distinct rotary thetas; its byte-level BPE tokenizer with BERT-style special tokens
    "modernbert": Reference(
        "ModernBertConfig",
        "byte_level_bpe_bert_specials",
        "PreTrainedTokenizerFast",
        dict(
            num_hidden_layers=2,
            num_attention_heads=4,
            hidden_size=32,
            intermediate_size=48,
            max_position_embeddings=64,
            global_attn_every_n_layers=2,
            local_attention=8,
            rope_parameters={
                "full_attention": {"rope_type": "default", "rope_theta": 160_000.0},
                "sliding_attention": {"rope_type": "default", "rope_theta": 10_000.0},
            },
            pad_token_id=0,
            cls_token_id=2,
            sep_token_id=3,
            bos_token_id=2,
            eos_token_id=3,
        ),
    ),
}

# other layouts a family's checkpoints come in, each checked against transformers like the reference
LAYOUTS = {
    # DeBERTa-v2: absolute positions added to the input too, separate position projections, one row per
    # distance (no buckets), factorised embeddings
    "deberta-v2 v2": (
        "deberta-v2",
        dict(
            position_biased_input=True,
            share_att_key=False,
            pos_att_type="c2p|p2c",
            position_buckets=-1,
            max_relative_positions=-1,
            norm_rel_ebd="none",
            embedding_size=16,
        ),
    ),
    "deberta-v2 c2p only": ("deberta-v2", dict(pos_att_type=["c2p"], share_att_key=False)),
    # ModernBERT with every bias switched on, mean pooling and three layers (global, local, local)
    "modernbert biases, mean pooling": (
        "modernbert",
        dict(
            num_hidden_layers=3,
            global_attn_every_n_layers=3,
            norm_bias=True,
            attention_bias=True,
            mlp_bias=True,
            classifier_bias=True,
            classifier_pooling="mean",
        ),
    ),
}

UNIGRAM_SPECIALS = {
    "unigram_xlmr": ["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
    "unigram_albert": ["<pad>", "<unk>", "[CLS]", "[SEP]", "[MASK]"],
    "unigram_deberta": ["[PAD]", "[CLS]", "[SEP]", "[UNK]", "[MASK]"],
}


def build_tokenizer(kind: str):
    """A tokenizer of a family's real kind, trained on CORPUS, with the family's special tokens (a
    transformers tokenizer object for the SentencePiece kinds)."""
    if kind == "wordpiece":
        return Tokenizer.from_str(train_wordpiece(CORPUS * 3, vocab_size=300, min_frequency=1).to_str())
    if kind == "byte_level_bpe":
        bpe = ByteLevelBPETokenizer()
        bpe.train_from_iterator(
            CORPUS * 3, vocab_size=400, special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
        )
        tokenizer = Tokenizer.from_str(bpe._tokenizer.to_str())
        tokenizer.post_processor = processors.RobertaProcessing(("</s>", 2), ("<s>", 0))
        return tokenizer
    if kind == "byte_level_bpe_bert_specials":  # ModernBERT's: byte-level BPE, [CLS] A [SEP] B [SEP]
        bpe = ByteLevelBPETokenizer()
        bpe.train_from_iterator(
            CORPUS * 3, vocab_size=400, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
        )
        tokenizer = Tokenizer.from_str(bpe._tokenizer.to_str())
        tokenizer.post_processor = processors.TemplateProcessing(
            single="[CLS] $A [SEP]",
            pair="[CLS] $A [SEP] $B [SEP]",
            special_tokens=[("[CLS]", 2), ("[SEP]", 3)],
        )
        return tokenizer
    return unigram_reference(kind)


def unigram_reference(kind: str):
    """A SentencePiece Unigram vocabulary trained here, built into the family's tokenizer by transformers'
    own class (XLMRobertaTokenizer / AlbertTokenizer), as a converted checkpoint's tokenizer.json is."""
    import transformers

    specials = UNIGRAM_SPECIALS[kind]
    unigram = SentencePieceUnigramTokenizer()
    unigram.train_from_iterator(CORPUS * 3, vocab_size=250, special_tokens=specials, unk_token="<unk>")
    pieces = [(piece, score) for piece, score in json.loads(unigram._tokenizer.to_str())["model"]["vocab"]]
    vocab = [(token, 0.0) for token in specials] + [p for p in pieces if p[0] not in specials]
    if kind == "unigram_xlmr":
        mask = vocab.pop(specials.index("<mask>"))
        return transformers.XLMRobertaTokenizer(vocab=[*vocab, mask])
    if kind == "unigram_deberta":  # DeBERTa-v3 puts [MASK] after the pieces
        mask = vocab.pop(specials.index("[MASK]"))
        return transformers.DebertaV2Tokenizer(vocab=[*vocab, mask])
    return transformers.AlbertTokenizer(vocab=vocab)


def tokenizer_config(tokenizer: Tokenizer, tokenizer_class: str) -> dict:
    vocab = tokenizer.get_vocab()
    roles = {
        "pad_token": ("[PAD]", "<pad>"),
        "unk_token": ("[UNK]", "<unk>"),
        "cls_token": ("[CLS]", "<s>"),
        "sep_token": ("[SEP]", "</s>"),
        "mask_token": ("[MASK]", "<mask>"),
    }
    found = {role: next(t for t in names if t in vocab) for role, names in roles.items()}
    if tokenizer_class.startswith(("Roberta", "XLMRoberta")):
        found.update(bos_token="<s>", eos_token="</s>")
    return {"tokenizer_class": tokenizer_class, "model_max_length": 60, **found}


def save_reference(
    folder: Path,
    family: str,
    architecture: str,
    num_labels: int = 3,
    problem_type=None,
    seed=1,
    overrides: dict | None = None,
):
    """Save a random transformers model of `architecture` (eager attention) and the family's tokenizer
    into `folder`; returns the transformers model (eval mode) and the tokenizer. `overrides` change the
    family's reference settings (another layout of the same family)."""
    import transformers

    reference = REFERENCES[family]
    built = build_tokenizer(reference.tokenizer_kind)
    tokenizer = built if isinstance(built, Tokenizer) else built.backend_tokenizer
    settings = dict(reference.settings, **(overrides or {}))
    settings.update(vocab_size=tokenizer.get_vocab_size(), num_labels=num_labels)
    if problem_type:
        settings["problem_type"] = problem_type
    config = getattr(transformers, reference.config_class)(**settings)
    torch.manual_seed(seed)
    model = getattr(transformers, architecture)._from_config(config, attn_implementation="eager").eval()
    with torch.no_grad():  # non-zero biases and LayerNorm shifts, so a misplaced one shows
        for name, parameter in model.named_parameters():
            if name.endswith("bias") or "LayerNorm" in name or "layer_norm" in name:
                parameter.add_(torch.randn_like(parameter) * 0.1)
    model.save_pretrained(folder)
    folder = Path(folder)
    if isinstance(built, Tokenizer):
        tokenizer.save(str(folder / "tokenizer.json"))
        settings = tokenizer_config(tokenizer, reference.tokenizer_class)
        (folder / "tokenizer_config.json").write_text(json.dumps(settings))
    else:
        built.save_pretrained(folder)
    return model, tokenizer
