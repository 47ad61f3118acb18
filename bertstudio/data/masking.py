"""Masked-LM batches: choose 15% of the tokens, then 80% [MASK], 10% a random token, 10% unchanged.

Randomness comes only from the `torch.Generator` passed in, so a training step seeded the same way
masks the same tokens (resumable, repeatable). [CLS], [SEP] and padding are never masked. With
whole-word masking a word's sub-words are masked together (the tokenizer says which pieces continue a
word: WordPiece's "##", or pieces without the "Ġ" / "▁" word-start mark).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from tokenizers import Tokenizer

from bertstudio.data.batching import collate
from bertstudio.data.encoded import IGNORE_INDEX, EncodedDataset
from bertstudio.text import special_token_ids, word_continuation


class MaskedLMCollator:
    """Pads and masks batches for masked-LM (and NSP) pretraining."""

    def __init__(self, tokenizer: Tokenizer, probability: float = 0.15, whole_word: bool = False) -> None:
        if not 0 < probability < 1:
            raise ValueError(f"masking probability must be between 0 and 1, not {probability}")
        ids = special_token_ids(tokenizer)
        self.probability = probability
        self.whole_word = whole_word
        self.pad_id = ids["pad"]
        self.mask_id = ids["mask"]
        self.never_masked = torch.tensor(sorted({ids["pad"], ids["cls"], ids["sep"]}))
        vocab = tokenizer.get_vocab(with_added_tokens=True)
        size = max(vocab.values()) + 1
        continuation = np.zeros(size, dtype=bool)
        continues = word_continuation(tokenizer)
        special = set(ids.values())
        for token, index in vocab.items():
            continuation[index] = index not in special and continues(token)
        self.continuation = torch.from_numpy(continuation)
        self.random_pool = torch.tensor([i for i in sorted(vocab.values()) if i not in special])

    def __call__(
        self,
        examples: Sequence[Sequence[int]],
        generator: torch.Generator,
        token_type_ids: Sequence[Sequence[int]] | None = None,
        next_sentence_labels: Sequence[int] | None = None,
    ) -> dict[str, torch.Tensor]:
        """Pad id lists to the longest and mask them."""
        width = max(len(example) for example in examples)
        input_ids = torch.full((len(examples), width), self.pad_id, dtype=torch.long)
        types = torch.zeros((len(examples), width), dtype=torch.long)
        attention_mask = torch.zeros((len(examples), width), dtype=torch.long)
        for row, example in enumerate(examples):
            input_ids[row, : len(example)] = torch.as_tensor(example, dtype=torch.long)
            attention_mask[row, : len(example)] = 1
            if token_type_ids is not None:
                types[row, : len(example)] = torch.as_tensor(token_type_ids[row], dtype=torch.long)
        batch = {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": types}
        if next_sentence_labels is not None:
            batch["next_sentence_label"] = torch.as_tensor(next_sentence_labels, dtype=torch.long)
        return self.mask(batch, generator)

    def collate(self, encoded: EncodedDataset, indices: Sequence[int], generator: torch.Generator):
        """A masked batch of a pretraining dataset (`build_pretraining_dataset`), with
        `next_sentence_label` when the dataset has NSP pairs."""
        batch = collate(encoded, indices, self.pad_id)
        labels = batch.pop("labels")
        if encoded.task == "pretraining":
            batch["next_sentence_label"] = labels
        return self.mask(batch, generator)

    def mask(self, batch: dict[str, torch.Tensor], generator: torch.Generator) -> dict[str, torch.Tensor]:
        """Mask a padded batch (input_ids, attention_mask, token_type_ids, optional
        next_sentence_label); returns new tensors with masked-LM `labels` (-100 where not masked)."""
        input_ids = batch["input_ids"].clone()
        maskable = batch["attention_mask"].bool() & ~torch.isin(input_ids, self.never_masked)
        masked = self._choose(input_ids, maskable, generator)
        labels = torch.where(masked, input_ids, torch.full_like(input_ids, IGNORE_INDEX))
        draw = torch.rand(input_ids.shape, generator=generator)
        input_ids[masked & (draw < 0.8)] = self.mask_id
        randomised = masked & (draw >= 0.8) & (draw < 0.9)
        picks = torch.randint(len(self.random_pool), input_ids.shape, generator=generator)
        input_ids[randomised] = self.random_pool[picks[randomised]]
        result = {
            "input_ids": input_ids,
            "attention_mask": batch["attention_mask"],
            "token_type_ids": batch["token_type_ids"],
            "labels": labels,
        }
        if "next_sentence_label" in batch:
            result["next_sentence_label"] = batch["next_sentence_label"]
        return result

    def _choose(
        self, input_ids: torch.Tensor, maskable: torch.Tensor, generator: torch.Generator
    ) -> torch.Tensor:
        """Which positions to mask (at least one per batch, so the loss is defined)."""
        draw = torch.rand(input_ids.shape, generator=generator)
        if not self.whole_word:
            masked = maskable & (draw < self.probability)
            return masked if masked.any() or not maskable.any() else _one_of(maskable, generator)
        previous_maskable = torch.nn.functional.pad(maskable[:, :-1], (1, 0))
        continues = self.continuation[input_ids.clamp(max=len(self.continuation) - 1)] & previous_maskable
        starts = maskable & ~continues
        chosen = starts & (draw < self.probability)
        if not chosen.any() and starts.any():
            chosen = _one_of(starts, generator)
        word = (torch.cumsum(starts.long(), dim=1) - 1).clamp(min=0)  # word index of each token in its row
        chosen_words = torch.zeros_like(input_ids).scatter_add_(1, word, chosen.long())
        return maskable & (chosen_words.gather(1, word) > 0)


def _one_of(candidates: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """A mask with one of the True positions of `candidates`, drawn at random."""
    picked = torch.zeros_like(candidates)
    picked.view(-1)[torch.multinomial(candidates.flatten().float(), 1, generator=generator)] = True
    return picked
