"""What is being exported: the model folder, and the run that trained it when there is one.

A run folder (run.json) names its data, split, hyper-parameters and evaluation results; the card is
written from it, and the int8 comparison is measured on the run's own evaluation split.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bertstudio.training.config import RunConfig
from bertstudio.training.run_store import RunFolder


@dataclass
class DataFile:
    name: str  # file name only (the card travels; the path on this machine does not)
    size: int
    sha256: str


@dataclass
class RunFacts:
    """The parts of a run folder an export reports."""

    run_dir: Path
    config: RunConfig
    label_names: list[str]
    data_files: list[DataFile]
    sizes: dict[str, int]  # examples per split (train / validation / test)
    eval_split: str | None  # the split whose results are reported: test, else validation
    eval_metrics: dict[str, Any] = field(default_factory=dict)


@dataclass
class ModelSource:
    model_dir: Path
    run: RunFacts | None


def locate(path: str | Path) -> ModelSource:
    """A model folder, a run folder (its model/ is exported) or a run's model/ folder."""
    path = Path(path).expanduser()
    if RunFolder(path).exists():
        return ModelSource(RunFolder(path).model_dir, read_run_facts(path))
    if path.name == "model" and RunFolder(path.parent).exists():
        return ModelSource(path, read_run_facts(path.parent))
    return ModelSource(path, None)


def read_run_facts(run_dir: Path) -> RunFacts:
    folder = RunFolder(run_dir)
    info = folder.read_info()
    config = folder.read_config()
    data_files = [
        DataFile(name=Path(entry["path"]).name, size=int(entry["size"]), sha256=str(entry["sha256"]))
        for entry in info.get("data", [])
        if isinstance(entry, dict) and {"path", "size", "sha256"} <= set(entry)
    ]
    eval_split, metrics = None, {}
    for split in ("test", "validation"):
        file = folder.eval_dir / f"{split}_metrics.json"
        if file.is_file():
            try:
                metrics = json.loads(file.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError):
                continue  # damaged outside the app: the card says there are no results
            eval_split = split
            break
    return RunFacts(
        run_dir=run_dir,
        config=config,
        label_names=list(info.get("label_names") or []),
        data_files=data_files,
        sizes={k: int(v) for k, v in (info.get("sizes") or {}).items()},
        eval_split=eval_split,
        eval_metrics=metrics if isinstance(metrics, dict) else {},
    )


@dataclass
class EvaluationSet:
    split: str
    source: Any  # training.prepare.LabeledSource
    truncated_share: float  # examples longer than max_length tokens (cut off)
    max_length: int


def evaluation_set(run: RunFacts, tokenizer, model_max_length: int) -> EvaluationSet | None:
    """The run's test split (else its validation split), encoded as training encoded it; None for a
    pretraining run or a run without a held-out split. DataImportError when the data cannot be read."""
    from bertstudio.data.encoded import UNTRUNCATED, encode_dataset
    from bertstudio.training.prepare import LabeledSource, load_splits

    config = run.config
    if config.is_pretraining:
        return None
    splits = load_splits(config, run.label_names or None)
    split = (
        "test" if splits["test"] is not None else "validation" if splits["validation"] is not None else None
    )
    if split is None:
        return None
    max_length = min(config.max_length, model_max_length)
    dataset = splits[split]
    lengths = encode_dataset(dataset, tokenizer, UNTRUNCATED).lengths
    truncated = float((lengths > max_length).mean()) if len(lengths) else 0.0
    return EvaluationSet(split, LabeledSource(dataset, tokenizer, max_length), truncated, max_length)


@dataclass
class BaseModel:
    """What is known about the checkpoint a model was fine-tuned from."""

    repo_id: str | None = None  # "org/name" when the base is known by its Hub id
    language: list[str] = field(default_factory=list)  # from the base's own model card


def describe_base(model_path: str | Path) -> BaseModel:
    """The Hub id of a checkpoint (a repo id found in the local cache, or a path inside the cache's
    models--org--name folder) and the languages its README.md front matter names."""
    text = str(model_path)
    path = Path(text).expanduser()
    repo_id = None
    for part in path.parts:
        if part.startswith("models--"):
            repo_id = part[len("models--") :].replace("--", "/")
    if repo_id is None and not path.exists() and text.count("/") == 1:
        repo_id = text
    folder = path
    if not path.is_dir():
        from bertstudio.errors import CheckpointError
        from bertstudio.model.hub import resolve_model_folder

        try:
            folder = resolve_model_folder(text)
        except CheckpointError:
            return BaseModel(repo_id=repo_id)
    return BaseModel(repo_id=repo_id, language=card_languages(folder / "README.md"))


def card_languages(readme: Path) -> list[str]:
    """`language:` of a model card's front matter (a single value or a list), [] when absent."""
    try:
        lines = readme.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    if not lines or lines[0].strip() != "---":
        return []
    languages: list[str] = []
    in_language = False
    for line in lines[1:]:
        if line.strip() == "---":
            break
        if line.startswith("language:"):
            value = line.split(":", 1)[1].strip().strip("'\"")
            languages += [value] if value else []
            in_language = not value
        elif in_language and line.lstrip().startswith("- "):
            languages.append(line.lstrip()[2:].strip().strip("'\""))
        else:
            in_language = False
    return languages
