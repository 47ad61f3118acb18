"""transformers' question-answering example (run_qa.py with utils_qa.py), written out as the reference our
question answering is compared with, by the tests and by benchmarks/bench_qa.py: windows through the fast
tokenizer's overflow with the stride, answers mapped by offsets, [CLS] for windows without the answer,
features padded to the max length, and the n-best post-processing with the null score (v2.0)."""

from __future__ import annotations

import collections
import json
from pathlib import Path

import numpy as np


def flat_questions(path: Path) -> list[dict]:
    """{id, question, context, answers} per question of a SQuAD file (no answers when impossible)."""
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    return [
        {
            "id": qa["id"],
            "question": qa["question"],
            "context": paragraph["context"],
            "answers": [] if qa.get("is_impossible") else qa["answers"],
        }
        for article in document["data"]
        for paragraph in article["paragraphs"]
        for qa in paragraph["qas"]
    ]


def window_settings(max_length: int, doc_stride: int) -> dict:
    return dict(
        truncation="only_second",
        max_length=max_length,
        stride=doc_stride,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
        padding="max_length",
    )


def train_features(tokenizer, questions: list[dict], max_length: int, doc_stride: int) -> list[dict]:
    """run_qa.py's prepare_train_features: one row per window, the answer's token positions or 0."""
    encoded = tokenizer(
        [q["question"].lstrip() for q in questions],
        [q["context"] for q in questions],
        **window_settings(max_length, doc_stride),
    )
    rows = []
    for i, offsets in enumerate(encoded["offset_mapping"]):
        question = questions[encoded["overflow_to_sample_mapping"][i]]
        sequence = encoded.sequence_ids(i)
        start_position = end_position = 0  # [CLS]
        if question["answers"]:
            first = question["answers"][0]["answer_start"]
            last = first + len(question["answers"][0]["text"])
            context = [t for t, s in enumerate(sequence) if s == 1]
            if offsets[context[0]][0] <= first and offsets[context[-1]][1] >= last:
                start_position = max(t for t in context if offsets[t][0] <= first)
                end_position = min(t for t in context if offsets[t][1] >= last)
        rows.append(
            {
                "input_ids": encoded["input_ids"][i],
                "attention_mask": encoded["attention_mask"][i],
                "token_type_ids": encoded["token_type_ids"][i],
                "start_positions": start_position,
                "end_positions": end_position,
            }
        )
    return rows


def predictions(
    tokenizer, logits_of, questions: list[dict], max_length: int, doc_stride: int, n_best=20, max_answer=30
) -> dict[str, str]:
    """prepare_validation_features + postprocess_qa_predictions (v2.0, null threshold 0): {id: answer}.
    `logits_of(rows)` gives the (start, end) logits arrays of the feature rows."""
    encoded = tokenizer(
        [q["question"].lstrip() for q in questions],
        [q["context"] for q in questions],
        **window_settings(max_length, doc_stride),
    )
    rows = [
        {
            "input_ids": encoded["input_ids"][i],
            "attention_mask": encoded["attention_mask"][i],
            "token_type_ids": encoded["token_type_ids"][i],
        }
        for i in range(len(encoded["input_ids"]))
    ]
    start_logits, end_logits = logits_of(rows)
    by_question = collections.defaultdict(list)
    for i, owner in enumerate(encoded["overflow_to_sample_mapping"]):
        by_question[owner].append(i)
    answers = {}
    for owner, question in enumerate(questions):
        best_null, candidates = None, []
        for i in by_question[owner]:
            offsets, sequence = encoded["offset_mapping"][i], encoded.sequence_ids(i)
            null = start_logits[i][0] + end_logits[i][0]
            best_null = null if best_null is None or null < best_null else best_null
            for s in np.argsort(start_logits[i])[-1 : -n_best - 1 : -1]:
                for e in np.argsort(end_logits[i])[-1 : -n_best - 1 : -1]:
                    if sequence[s] != 1 or sequence[e] != 1 or e < s or e - s + 1 > max_answer:
                        continue
                    text = question["context"][offsets[s][0] : offsets[e][1]]
                    candidates.append((start_logits[i][s] + end_logits[i][e], text))
        best = max(candidates) if candidates else (-np.inf, "")
        answers[question["id"]] = best[1] if best[0] > best_null else ""
    return answers


def real_tokens_trainer(in_file_order: bool = False):
    """transformers.Trainer with the QA loss over the real tokens only (the padding out of the softmax, as
    bertstudio's loss leaves it out; the example's spans the padding too); `in_file_order` takes the
    features in order instead of shuffled."""
    import torch
    import transformers

    class RealTokensTrainer(transformers.Trainer):
        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            starts, ends = inputs.pop("start_positions"), inputs.pop("end_positions")
            out = model(**inputs)
            padding, lowest = inputs["attention_mask"] == 0, torch.finfo(torch.float32).min
            loss = sum(
                torch.nn.functional.cross_entropy(logits.float().masked_fill(padding, lowest), positions)
                for logits, positions in ((out.start_logits, starts), (out.end_logits, ends))
            )
            return (loss / 2, out) if return_outputs else loss / 2

        def _get_train_sampler(self, *args, **kwargs):
            if in_file_order:
                return torch.utils.data.SequentialSampler(self.train_dataset)
            return super()._get_train_sampler(*args, **kwargs)

    return RealTokensTrainer


def trainer_steps(
    start: Path,
    features: list[dict],
    folder: Path,
    batch_size: int,
    steps: int,
    learning_rate: float,
    warmup_steps: int,
    in_file_order: bool = False,
) -> list[tuple[float, float]]:
    """(loss, gradient norm) of each of `steps` steps the Trainer takes from `start` on `features`, with the
    loss over real tokens (real_tokens_trainer) and weight decay 0.01."""
    import transformers

    arguments = transformers.TrainingArguments(
        output_dir=str(folder),
        per_device_train_batch_size=batch_size,
        max_steps=steps,
        learning_rate=learning_rate,
        warmup_steps=warmup_steps,
        weight_decay=0.01,
        use_cpu=True,
        save_strategy="no",
        report_to="none",
        disable_tqdm=True,
        logging_steps=1,
    )
    model = transformers.AutoModelForQuestionAnswering.from_pretrained(start, attn_implementation="sdpa")
    trainer = real_tokens_trainer(in_file_order)(
        model=model, args=arguments, train_dataset=features, data_collator=transformers.default_data_collator
    )
    trainer.train()
    return [(h["loss"], h["grad_norm"]) for h in trainer.state.log_history if "loss" in h]
