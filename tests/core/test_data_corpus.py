"""Pretraining corpora: streamed documents, masked-LM masking, NSP pairs."""

from __future__ import annotations

import torch

from bertstudio.data import (
    IGNORE_INDEX,
    MaskedLMCollator,
    build_pretraining_dataset,
    iter_documents,
    iter_mlm_examples,
    iter_nsp_examples,
    split_sentences,
)
from bertstudio.text import special_token_ids

SENTENCES = [
    "the movie was good.",
    "i love this book.",
    "john lives in paris.",
    "mary works for google.",
    "the plot was boring.",
    "it is a red city.",
]


def test_documents_one_per_line_and_blank_line_separated(tmp_path):
    lines = tmp_path / "lines.txt"
    lines.write_text("first doc. Two sentences.\nsecond doc\nthird doc\n")
    blocks = tmp_path / "blocks.txt"
    blocks.write_text("s one\ns two\n\n\ns three\ns four\ns five\n\nlast\n")
    assert list(iter_documents(lines)) == ["first doc. Two sentences.", "second doc", "third doc"]
    assert list(iter_documents(blocks)) == ["s one\ns two", "s three\ns four\ns five", "last"]
    assert list(iter_documents(blocks, layout="lines"))[:2] == ["s one", "s two"]
    stray_blank = tmp_path / "stray.txt"
    stray_blank.write_text("".join(f"document {i}\n" for i in range(500)) + "\n" + "last one\nreally\n")
    assert len(list(iter_documents(stray_blank))) == 502
    assert split_sentences("First one. Second one! third? (no) 3.5 is ok.") == [
        "First one.",
        "Second one!",
        "third?",
        "(no) 3.5 is ok.",
    ]
    assert split_sentences("a\nb") == ["a", "b"]


def test_mlm_examples_pack_documents_to_max_length(tiny_tokenizer):
    examples = list(iter_mlm_examples(SENTENCES * 3, tiny_tokenizer, max_length=16))
    ids = special_token_ids(tiny_tokenizer)
    assert all(len(e) == 16 for e in examples[:-1]) and len(examples[-1]) <= 16
    assert all(e[0] == ids["cls"] and e[-1] == ids["sep"] for e in examples)
    inner = [t for e in examples for t in e[1:-1] if t != ids["sep"]]
    expected = [t for s in SENTENCES * 3 for t in tiny_tokenizer.encode(s).ids[1:-1]]
    assert inner == expected


def test_masking_rates_and_never_special(tiny_tokenizer):
    collator = MaskedLMCollator(tiny_tokenizer)
    ids = special_token_ids(tiny_tokenizer)
    examples = [tiny_tokenizer.encode(" ".join(SENTENCES * 4)).ids[:60] for _ in range(64)]
    examples += [tiny_tokenizer.encode("the movie").ids] * 8  # padded rows
    batch = collator(examples, torch.Generator().manual_seed(0))
    original = torch.full_like(batch["input_ids"], ids["pad"])
    for row, example in enumerate(examples):
        original[row, : len(example)] = torch.tensor(example)
    masked = batch["labels"] != IGNORE_INDEX
    assert (batch["labels"][masked] == original[masked]).all()
    specials = torch.isin(original, torch.tensor([ids["cls"], ids["sep"], ids["pad"]]))
    assert not (masked & specials).any()
    assert ((batch["input_ids"] != original) <= masked).all()  # only masked positions change
    share = masked.sum().item() / (~specials).sum().item()
    assert 0.13 < share < 0.17
    as_mask = (batch["input_ids"][masked] == ids["mask"]).float().mean().item()
    kept = (batch["input_ids"][masked] == original[masked]).float().mean().item()
    assert 0.75 < as_mask < 0.85 and 0.05 < kept < 0.16
    again = collator(examples, torch.Generator().manual_seed(0))
    assert torch.equal(again["input_ids"], batch["input_ids"])


def test_whole_word_masking_masks_all_pieces(tiny_tokenizer):
    collator = MaskedLMCollator(tiny_tokenizer, probability=0.3, whole_word=True)
    encoding = tiny_tokenizer.encode("zebra quokka axolotl " * 10)
    batch = collator([encoding.ids] * 8, torch.Generator().manual_seed(1))
    masked = batch["labels"] != IGNORE_INDEX
    words = torch.tensor([w if w is not None else -1 for w in encoding.word_ids])
    for row in range(8):
        for word in set(words[masked[row]].tolist()):
            assert masked[row][words == word].all()


def test_nsp_pairs_have_half_random_next_sentences(tiny_tokenizer):
    documents = [" ".join(SENTENCES[i % 6 :] + SENTENCES[: i % 6]) for i in range(60)]
    examples = list(iter_nsp_examples(documents, tiny_tokenizer, max_length=32, seed=0))
    ids = special_token_ids(tiny_tokenizer)
    labels = [label for _, _, label in examples]
    assert 0.3 < sum(labels) / len(labels) < 0.7
    for input_ids, types, _ in examples:
        assert len(input_ids) <= 32 and len(types) == len(input_ids)
        assert input_ids[0] == ids["cls"] and input_ids.count(ids["sep"]) == 2
        first_sep = input_ids.index(ids["sep"])
        assert types == [0] * (first_sep + 1) + [1] * (len(input_ids) - first_sep - 1)
    assert examples == list(iter_nsp_examples(documents, tiny_tokenizer, max_length=32, seed=0))


def test_pretraining_dataset_batches_feed_a_real_model(tmp_path, tiny_tokenizer, tiny_model_dir):
    from bertstudio.model import load_pretrained

    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n\n".join("\n".join(SENTENCES[i:] + SENTENCES[:i]) for i in range(6)) + "\n")
    dataset = build_pretraining_dataset(corpus, tiny_tokenizer, 32, next_sentence=True, seed=0)
    collator = MaskedLMCollator(tiny_tokenizer)
    batch = collator.collate(dataset, list(range(min(4, len(dataset)))), torch.Generator().manual_seed(0))
    assert set(batch) == {"input_ids", "attention_mask", "token_type_ids", "labels", "next_sentence_label"}
    model, _ = load_pretrained(tiny_model_dir, task="pretraining")
    output = model(**batch)
    assert torch.isfinite(output.loss)
    mlm_only = build_pretraining_dataset(corpus, tiny_tokenizer, 16)
    assert mlm_only.task == "masked_lm"
    assert "next_sentence_label" not in collator.collate(mlm_only, [0, 1], torch.Generator().manual_seed(0))
