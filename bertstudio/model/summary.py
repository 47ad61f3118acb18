"""A plain summary of a checkpoint: architecture, size, heads present or newly initialised."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bertstudio.model.hub import load_pretrained


def summarize(path: str | Path, task: str | None = None) -> dict[str, Any]:
    from bertstudio.inspect.probes import fill_mask_unavailable

    model, tokenizer = load_pretrained(path, task=task)
    config = model.config
    report = model.load_report
    family = model.family
    return {
        "path": str(path),
        "family": family.title,
        "task": model.task,
        "tasks": list(family.tasks),
        "capabilities": [name for name, present in family.capabilities.as_dict().items() if present],
        "notes": list(family.notes),
        "fill_mask": fill_mask_unavailable(model) or "available",
        "layers": config.num_hidden_layers,
        "hidden_size": config.hidden_size,
        "attention_heads": config.num_attention_heads,
        "intermediate_size": config.intermediate_size,
        "parameters": sum(p.numel() for p in model.parameters()),
        "vocabulary": tokenizer.get_vocab_size(),
        "max_positions": config.max_length,
        "labels": [config.id2label[i] for i in sorted(config.id2label)],
        "heads_present": report.heads_present(model),
        "newly_initialized": report.newly_initialized,
        "unused_weights": report.unused,
    }
