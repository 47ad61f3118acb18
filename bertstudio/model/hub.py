"""Load and save the Hugging Face folder layout.

A model folder holds config.json, weights (model.safetensors, sharded safetensors with an index, or
pytorch_model.bin read with weights_only) and a tokenizer (tokenizer.json and/or vocab.txt).
No pickle is ever executed: anything that is neither safetensors nor a weights-only torch file is refused.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from tokenizers import Tokenizer

from bertstudio.atomic import atomic_write, atomic_write_text
from bertstudio.embeddings.layout import read_layout, write_layout
from bertstudio.errors import CheckpointError, ConfigError
from bertstudio.model.config import BertConfig
from bertstudio.model.family import SENTENCE_TASK, Family, family_for
from bertstudio.model.modeling import TASKS, BertPreTrainedModel, build_model
from bertstudio.text.tokenizer import configure, load_tokenizer, max_length_of, save_tokenizer

TASK_ALIASES = {
    None: None,
    "base": "base",
    "encoder": "base",
    "masked_lm": "masked_lm",
    "mlm": "masked_lm",
    "pretraining": "pretraining",
    "classification": "classification",
    "single_label": "classification",
    "sequence_classification": "classification",
    "pair_classification": "classification",
    "pair": "classification",
    "multi_label": "multi_label",
    "regression": "regression",
    "token_classification": "token_classification",
    "token": "token_classification",
    "tagging": "token_classification",
    "ner": "token_classification",
    "question_answering": "question_answering",
    "qa": "question_answering",
    "sentence_embedding": "sentence_embedding",
    "sentence_similarity": "sentence_embedding",
}

PROBLEM_TYPE_OF_TASK = {
    "classification": "single_label_classification",
    "multi_label": "multi_label_classification",
    "regression": "regression",
}


@dataclass
class LoadReport:
    """What loading found: heads initialised fresh, checkpoint weights left unused."""

    newly_initialized: list[str] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)
    weights_file: str = ""

    def heads_present(self, model: BertPreTrainedModel) -> list[str]:
        names = {name.split(".")[0] for name, _ in model.named_parameters() if not name.startswith("bert.")}
        fresh = {name.split(".")[0] for name in self.newly_initialized}
        return sorted(names - fresh - {"embeddings", "encoder"})


def resolve_task(task: str | None) -> str | None:
    try:
        return TASK_ALIASES[task]
    except KeyError:
        raise ConfigError(f"Unknown task {task!r}.", f"Use one of: {', '.join(TASKS)}.") from None


def task_from_config(config: BertConfig) -> str:
    """The task a saved config describes (architectures + problem_type), 'base' when it says none."""
    architectures = config.family.architectures
    architecture = config.architectures[0] if config.architectures else architectures["base"]
    if architecture == architectures["classification"]:
        for task, problem in PROBLEM_TYPE_OF_TASK.items():
            if config.problem_type == problem:
                return task
        return "classification"
    for task, name in architectures.items():
        if name == architecture:
            return task
    return "base"


def load_pretrained(
    path: str | Path,
    task: str | None = None,
    num_labels: int | None = None,
    labels: list[str] | None = None,
) -> tuple[BertPreTrainedModel, Tokenizer]:
    """Load (model, tokenizer) from a folder in the Hugging Face layout.

    task None takes the task the checkpoint was saved for (a plain encoder when it names none).
    num_labels / labels size a classification head; a new head is initialised fresh (reported in
    model.load_report), while a missing encoder weight or an unknown weight is a CheckpointError.
    """
    folder = resolve_model_folder(path)
    config = BertConfig.from_json_file(folder / "config.json")
    resolved = resolve_task(task) or task_from_config(config)
    if labels is not None:
        config.id2label = dict(enumerate(labels))
    elif num_labels is not None and num_labels != config.num_labels:
        config.id2label = {i: f"LABEL_{i}" for i in range(num_labels)}
    if resolved in PROBLEM_TYPE_OF_TASK:
        config.problem_type = PROBLEM_TYPE_OF_TASK[resolved]
        if resolved == "regression" and num_labels is None and labels is None:
            config.id2label = {0: "LABEL_0"}
        if not config.id2label:
            config.id2label = {0: "LABEL_0", 1: "LABEL_1"}
    elif resolved == "token_classification" and not config.id2label:
        config.id2label = {0: "LABEL_0", 1: "LABEL_1"}
    elif resolved == "question_answering":  # qa_outputs scores start and end: transformers reads num_labels 2
        config.id2label = {0: "LABEL_0", 1: "LABEL_1"}
    config.architectures = [config.family.architecture(resolved)]

    config.check_fits_in_memory(folder / "config.json")
    with torch.device("cpu"):
        model = build_model(config, resolved)
    weights_file, state = read_weights(folder)
    model.load_report = load_state(model, state, weights_file)
    tokenizer = load_tokenizer(folder)
    configure(tokenizer, min(_truncation(tokenizer), config.max_length))
    if resolved == SENTENCE_TASK:
        model.layout = read_layout(folder)  # the pooling it was trained with (mean when undeclared)
    model.eval()
    return model, tokenizer


def resolve_model_folder(path: str | Path) -> Path:
    """A model folder from a path, a Hugging Face cache repo folder (models--org--name, newest snapshot)
    or a repo id ("org/name") found in the local cache. Never goes online."""
    folder = Path(path).expanduser()
    if folder.is_dir() and (folder / "snapshots").is_dir() and not (folder / "config.json").exists():
        snapshots = sorted((folder / "snapshots").iterdir(), key=lambda p: p.stat().st_mtime, reverse=True)
        if snapshots:
            return snapshots[0]
    if folder.is_dir():
        return folder
    for checkpoint in find_cached_checkpoints():
        if checkpoint.name == str(path):
            return checkpoint.path
    raise CheckpointError(
        "This is not a model folder, nor a model in the local Hugging Face cache.",
        "Choose a folder that holds config.json and the model weights.",
        path=folder,
    )


def _truncation(tokenizer: Tokenizer) -> int:
    return tokenizer.truncation["max_length"] if tokenizer.truncation else 10**9


def read_weights(folder: Path) -> tuple[Path, dict[str, torch.Tensor]]:
    """Read the weights of a model folder, preferring safetensors. Returns (file read, state dict)."""
    candidates = [
        ("model.safetensors", _read_safetensors),
        ("model.safetensors.index.json", _read_sharded),
        ("pytorch_model.bin", _read_torch_weights_only),
        ("pytorch_model.bin.index.json", _read_sharded),
    ]
    for name, reader in candidates:
        file = folder / name
        if file.is_file():
            return file, reader(file)
    raise CheckpointError(
        "No weights found (looked for model.safetensors, a sharded safetensors index, pytorch_model.bin).",
        "Copy the checkpoint's weights file into the folder.",
        path=folder,
    )


def _read_safetensors(file: Path) -> dict[str, torch.Tensor]:
    try:
        return load_file(str(file))
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(
            f"The weights file is truncated or corrupt ({exc}).",
            "Download or copy the checkpoint again.",
            path=file,
        ) from None


def _read_torch_weights_only(file: Path) -> dict[str, torch.Tensor]:
    try:
        state = torch.load(str(file), map_location="cpu", weights_only=True)
    except Exception as exc:  # pickle errors come as many types; all mean "not safe / not readable"
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CheckpointError(
            f"Refused to load: the file is not a plain weights file or is corrupt ({reason}).",
            "BERT Studio never runs code from a checkpoint. Convert it to safetensors, "
            "or use a checkpoint that stores only tensors.",
            path=file,
        ) from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError("The file does not hold a mapping of names to tensors.", path=file)
    return state


def _read_sharded(index_file: Path) -> dict[str, torch.Tensor]:
    try:
        weight_map = json.loads(index_file.read_text(encoding="utf-8"))["weight_map"]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise CheckpointError(f"The shard index cannot be read ({exc}).", path=index_file) from None
    reader = (
        _read_safetensors if index_file.name.startswith("model.safetensors") else _read_torch_weights_only
    )
    state: dict[str, torch.Tensor] = {}
    for shard in sorted(set(weight_map.values())):
        shard_file = index_file.parent / shard
        if not shard_file.is_file():
            raise CheckpointError(f"Shard {shard} named in the index is missing.", path=index_file)
        state.update(reader(shard_file))
    return state


def _normalise_key(key: str) -> str:
    return key.replace("LayerNorm.gamma", "LayerNorm.weight").replace("LayerNorm.beta", "LayerNorm.bias")


def _is_buffer_key(key: str) -> bool:
    return key.endswith("position_ids") or key.endswith("token_type_ids")


def _is_encoder_weight(name: str) -> bool:
    """Our full names: the encoder's weights sit under `bert.`; its pooler may be absent or unused."""
    return name.startswith("bert.") and not name.startswith("bert.pooler.")


def full_state_names(model: BertPreTrainedModel) -> dict[str, str]:
    """Our full weight name (encoder under `bert.`, as in task models) -> the model's state-dict key."""
    prefix = "bert." if model.encoder_model is model else ""
    return {prefix + key: key for key in model.state_dict()}


def load_state(model: BertPreTrainedModel, state: dict[str, torch.Tensor], source: Path) -> LoadReport:
    """Copy checkpoint tensors into the model, translating the family's weight names (with or without
    the encoder prefix, as task and base checkpoints differ)."""
    family, task = model.family, model.task
    local = model.state_dict()
    expected = {name: local[key] for name, key in full_state_names(model).items()}
    # a pooler the model lacks is still the encoder's, in families that have one (DeBERTa's `pooler.` is
    # its classification head's)
    pooler = ["bert.pooler.dense.weight"] if family.capabilities.pooler else []
    encoder_roots = {
        family.to_checkpoint_key(name, task).removeprefix(f"{family.prefix}.").split(".")[0]
        for name in [*expected, *pooler]
        if name.startswith("bert.")
    }
    state = dict(state)
    for alias, name in family.aliases:
        if alias in state:
            state.setdefault(name, state.pop(alias))
    renamed: dict[str, torch.Tensor] = {}
    for key, tensor in state.items():
        key = _normalise_key(key)
        if _is_buffer_key(key):
            continue
        if not key.startswith(f"{family.prefix}.") and key.split(".")[0] in encoder_roots:
            key = f"{family.prefix}.{key}"
        renamed.setdefault(family.from_checkpoint_key(key, task), tensor)

    tied = "cls.predictions.decoder.weight"
    missing = [k for k in expected if k not in renamed and k != tied]
    unused = [k for k in renamed if k not in expected]
    _check_head_only("missing", missing, source, "expected by the model", family)
    _check_head_only("unexpected", unused, source, f"not part of a {family.title} model", family)
    # A task head sized for other labels (a new label set) starts fresh; any other mismatch is an error.
    resized_heads = [
        k
        for k, v in expected.items()
        if k in renamed and renamed[k].shape != v.shape and not k.startswith("bert.")
    ]
    for key in resized_heads:
        unused.append(key)
        missing.append(key)
        del renamed[key]
    mismatched = [
        f"{k}: checkpoint {tuple(renamed[k].shape)}, model {tuple(v.shape)}"
        for k, v in expected.items()
        if k in renamed and renamed[k].shape != v.shape
    ]
    if mismatched:
        raise CheckpointError(
            "Weight shapes do not match config.json:\n  " + "\n  ".join(mismatched[:20]),
            "config.json and the weights file belong to different models; use the pair that came together.",
            path=source,
        )
    not_float = [
        f"{k}: {str(renamed[k].dtype).removeprefix('torch.')}"
        for k, v in expected.items()
        if k in renamed and v.is_floating_point() and not renamed[k].is_floating_point()
    ]
    if not_float:  # an integer or boolean tensor would be copied in as whole numbers: a broken model
        raise CheckpointError(
            "Weights stored as integers or booleans where the model needs floating-point numbers:\n  "
            + "\n  ".join(not_float[:20]),
            "The weights file was damaged or converted wrongly; get the model's weights again.",
            path=source,
        )
    with torch.no_grad():
        for key, tensor in expected.items():
            if key in renamed:
                tensor.copy_(renamed[key].to(tensor.dtype))
    model.tie_weights()
    return LoadReport(newly_initialized=sorted(missing), unused=sorted(unused), weights_file=str(source))


def _check_head_only(kind: str, names: list[str], source: Path, what: str, family: Family) -> None:
    bad = [name for name in names if _is_encoder_weight(name)]
    if bad:
        listing = "\n  ".join(bad[:30]) + (f"\n  ... and {len(bad) - 30} more" if len(bad) > 30 else "")
        raise CheckpointError(
            f"{len(bad)} {kind} weight(s), {what}:\n  {listing}",
            f"The checkpoint is not a {family.title} model of this configuration.",
            path=source,
        )


def checkpoint_state(model: BertPreTrainedModel) -> dict[str, torch.Tensor]:
    """The model's weights under the names its family's checkpoints use (what transformers loads)."""
    family, task = model.family, model.task
    local = model.state_dict()
    base = model.encoder_model is model
    tensors = {}
    for name, key in full_state_names(model).items():
        if name == "cls.predictions.decoder.weight":  # tied to the word embeddings
            continue
        theirs = family.to_checkpoint_key(name, task)
        if base:
            theirs = theirs.removeprefix(f"{family.prefix}.")
        tensors[theirs] = local[key].detach().to("cpu").contiguous()
    return tensors


def save_pretrained(
    model: BertPreTrainedModel, tokenizer: Tokenizer | None, path: str | Path, max_length: int | None = None
) -> Path:
    """Write config.json, model.safetensors and the tokenizer files, loadable by transformers.
    `max_length` (default: the tokenizer's truncation) is recorded as the length inputs are cut to. A
    sentence encoder is saved as its encoder plus the sentence-transformers files (modules.json,
    1_Pooling, 2_Normalize), so sentence-transformers loads it with the same pooling."""
    folder = Path(path)
    if model.task == SENTENCE_TASK:
        save_pretrained(model.bert, tokenizer, folder, max_length)
        write_layout(folder, model.layout, model.dimension)
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    tensors = checkpoint_state(model)
    atomic_write(
        folder / "model.safetensors", lambda temp: save_file(tensors, temp, metadata={"format": "pt"})
    )
    save_config_and_tokenizer(model, tokenizer, folder, max_length)
    return folder


def save_config_and_tokenizer(
    model: BertPreTrainedModel, tokenizer: Tokenizer | None, folder: Path, max_length: int | None = None
) -> None:
    """config.json (architecture and task of `model`) and the tokenizer files: a model folder without
    its weights, which an ONNX export puts beside its graph. The tokenizer's model_max_length is
    `max_length` (a run passes the length it trained with), else the tokenizer's truncation, at most
    the model's positions: whoever applies the model later cuts inputs where training did."""
    config = model.config
    config.architectures = [model.family.architectures[model.task]]
    config.problem_type = PROBLEM_TYPE_OF_TASK.get(model.task)
    config_dict = config.to_dict()
    config_dict["tie_word_embeddings"] = True
    atomic_write_text(folder / "config.json", json.dumps(config_dict, indent=2, sort_keys=True))
    if tokenizer is not None:
        length = min(max_length or max_length_of(tokenizer) or config.max_length, config.max_length)
        save_tokenizer(tokenizer, folder, length, model.family.tokenizer_class)


def model_length_limit(folder: str | Path) -> int | None:
    """The longest input in tokens the model of a folder accepts (its config.json's positions, less what
    its family reserves), or None when its config.json cannot be read."""
    try:
        return BertConfig.from_json_file(Path(folder) / "config.json").max_length
    except ConfigError:
        return None


def huggingface_cache_dir() -> Path:
    """Where the Hugging Face hub cache lives on this machine (HF_HUB_CACHE, HF_HOME, or the default)."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"])
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]) / "hub"
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "huggingface" / "hub"


@dataclass
class LocalCheckpoint:
    name: str  # e.g. "bert-base-uncased" or "sentence-transformers/all-MiniLM-L6-v2"
    path: Path
    source: str  # "huggingface cache", "package", ...
    model_type: str = "bert"  # config.json's model_type, naming its family (family_for)


def folder_family(folder: Path) -> Family | None:
    """The family of a model folder's config.json, or None when it is not one BERT Studio opens."""
    try:
        data = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    try:
        return family_for(data.get("model_type"))
    except ConfigError:
        return None


def find_cached_checkpoints(cache_dir: Path | None = None) -> list[LocalCheckpoint]:
    """Checkpoints of the families BERT Studio opens in the Hugging Face hub cache (newest snapshot of
    each repo), found offline."""
    cache_dir = cache_dir or huggingface_cache_dir()
    found: list[LocalCheckpoint] = []
    for repo in sorted(cache_dir.glob("models--*")):
        snapshots = sorted((repo / "snapshots").glob("*"), key=lambda p: p.stat().st_mtime, reverse=True)
        for snapshot in snapshots:
            family = folder_family(snapshot)
            if family is not None:
                name = repo.name[len("models--") :].replace("--", "/")
                found.append(
                    LocalCheckpoint(
                        name=name,
                        path=snapshot,
                        source="Hugging Face cache",
                        model_type=family.model_types[0],
                    )
                )
                break
    return found
