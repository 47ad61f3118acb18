"""Resumable checkpoints: safetensors + JSON only (no pickle), written atomically, last K kept.

A checkpoint is a folder `checkpoints/step-NNNNNNNN/` with
    model.safetensors      the model's weights
    optimizer.safetensors  AdamW moments, one tensor per parameter and slot
    state.json             optimizer hyper-parameters, scheduler, gradient scaler, data position, trainer state
    run.json               a copy of the run's config and label names (resume works without the run's own)
    manifest.json          size and SHA-256 of every other file, checked before a resume uses it
It is assembled in a hidden temp folder and renamed into place, so a visible checkpoint is always whole;
the manifest catches what the rename cannot (a bit flip, a file truncated or replaced later).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from bertstudio.atomic import atomic_write_text
from bertstudio.errors import RunStoreError
from bertstudio.storage import require_free_space, writing

PREFIX = "step-"
MANIFEST = "manifest.json"
RUN_COPY = "run.json"
CHECKPOINT_OVERHEAD = 64 * 1024  # safetensors headers, state.json, run.json, manifest.json
DAMAGED_PREFIX = "damaged-"  # a checkpoint that failed its check is renamed aside, never used again


@dataclass
class TrainingState:
    """Where a run stands: enough, with the model and optimizer, to continue the same step sequence."""

    step: int = 0  # optimizer steps done
    epoch: int = 0  # current epoch (0-based)
    batch_in_epoch: int = 0  # micro-batches of this epoch already consumed
    elapsed_seconds: float = 0.0
    best_metric: float | None = None
    best_step: int | None = None
    evals_without_improvement: int = 0
    last_eval_step: int | None = None


def checkpoint_name(step: int) -> str:
    return f"{PREFIX}{step:08d}"


def list_checkpoints(folder: Path) -> list[Path]:
    """Complete checkpoints, oldest first."""
    if not folder.is_dir():
        return []
    found = [
        p
        for p in folder.iterdir()
        if p.is_dir() and p.name.startswith(PREFIX) and (p / "state.json").is_file()
    ]
    return sorted(found, key=lambda p: p.name)


def clean_partial(folder: Path) -> None:
    """Remove temp folders left by a kill during a save or a prune."""
    if folder.is_dir():
        for path in folder.iterdir():
            if path.name.startswith("."):
                shutil.rmtree(path, ignore_errors=True)


def save_checkpoint(
    folder: Path,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    scaler: torch.amp.GradScaler | None,
    state: TrainingState,
    keep: int,
    run_info: dict[str, Any],
) -> Path:
    """Write a checkpoint atomically, then delete all but the newest `keep` (never the best one).
    A full or read-only disk is a StorageError before anything is renamed: older checkpoints stay."""
    target = folder / checkpoint_name(state.step)
    with writing(folder, f"checkpoint {target.name}"):
        folder.mkdir(parents=True, exist_ok=True)
        weights = {k: v.detach().to("cpu").contiguous() for k, v in _untied_state(model).items()}
        moments, optimizer_meta = _split_optimizer_state(optimizer.state_dict())
        require_free_space(folder, _checkpoint_bytes(weights, moments), f"checkpoint {target.name}")
        temp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=folder))
        try:
            save_file(weights, str(temp / "model.safetensors"))
            save_file(moments, str(temp / "optimizer.safetensors"))
            meta = {
                "training_state": state.__dict__,
                "optimizer": optimizer_meta,
                "scheduler": scheduler.state_dict(),
                "scaler": scaler.state_dict() if scaler is not None else None,
            }
            (temp / "state.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
            (temp / RUN_COPY).write_text(json.dumps(run_info, indent=1, default=str), encoding="utf-8")
            write_manifest(temp)
            for file in temp.iterdir():
                _fsync_file(file)
            if target.exists():  # the same step saved again (e.g. cancel right after an evaluation)
                _remove(target)
            os.replace(temp, target)
            _fsync_dir(folder)
        except BaseException:
            shutil.rmtree(temp, ignore_errors=True)
            raise
        prune(folder, keep, state.best_step)
    return target


def model_bytes(model: torch.nn.Module) -> int:
    """About how large the saved weights of this model are (the final model folder)."""
    return sum(t.numel() * t.element_size() for t in _untied_state(model).values()) + CHECKPOINT_OVERHEAD


def checkpoint_bytes(model: torch.nn.Module) -> int:
    """About how large a checkpoint of this model is: weights plus AdamW's two moments per parameter."""
    return model_bytes(model) + sum(2 * p.numel() * 4 for p in model.parameters() if p.requires_grad)


def _checkpoint_bytes(weights: dict[str, torch.Tensor], moments: dict[str, torch.Tensor]) -> int:
    tensors = (*weights.values(), *moments.values())
    return sum(t.numel() * t.element_size() for t in tensors) + CHECKPOINT_OVERHEAD


def write_manifest(folder: Path) -> None:
    """Record the size and SHA-256 of every file in `folder` (recursively) in its manifest.json."""
    files = {name: _file_record(folder / name) for name in _files_of(folder)}
    atomic_write_text(folder / MANIFEST, json.dumps({"format": 1, "files": files}, indent=1))


def verify_folder(folder: Path) -> str | None:
    """None when every file listed in the folder's manifest has its recorded size and SHA-256;
    else what is wrong, in words. A folder without a manifest (written before manifests) passes."""
    manifest = folder / MANIFEST
    if not manifest.exists():
        return None
    try:
        files = json.loads(manifest.read_text(encoding="utf-8"))["files"]
        expected = {str(name): (int(r["size"]), str(r["sha256"])) for name, r in files.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        return f"its manifest.json cannot be read ({exc})"
    for name, (size, digest) in expected.items():
        path = folder / name
        if not path.is_file():
            return f"{name} is missing"
        record = _file_record(path)
        if record["size"] != size:
            return f"{name} has {record['size']} bytes, {size} were written (truncated or replaced)"
        if record["sha256"] != digest:
            return f"{name} does not match its checksum (damaged on disk)"
    return None


def _files_of(folder: Path) -> Iterator[str]:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name != MANIFEST:
            yield path.relative_to(folder).as_posix()


def _file_record(path: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return {"size": path.stat().st_size, "sha256": digest.hexdigest()}


def prune(folder: Path, keep: int, best_step: int | None) -> None:
    checkpoints = list_checkpoints(folder)
    protected = {checkpoint_name(best_step)} if best_step is not None else set()
    for path in checkpoints[:-keep] if keep else checkpoints:
        if path.name not in protected:
            _remove(path)


def _remove(path: Path) -> None:
    # Rename first: a kill during rmtree must not leave a half-deleted folder under a valid name.
    doomed = path.with_name(f".deleting-{path.name}")
    os.replace(path, doomed)
    shutil.rmtree(doomed, ignore_errors=True)


@dataclass
class LoadedCheckpoint:
    path: Path
    state: TrainingState
    model_state: dict[str, torch.Tensor]
    optimizer_state: dict[str, Any]
    scheduler_state: dict[str, Any]
    scaler_state: dict[str, Any] | None


def require_whole(path: Path, advice: str) -> None:
    """RunStoreError with `advice` when the checkpoint does not match its manifest."""
    problem = verify_folder(path)
    if problem is not None:
        raise RunStoreError(f"The checkpoint is damaged: {problem}.", advice, path=path)


def load_checkpoint(path: Path) -> LoadedCheckpoint:
    """Read a checkpoint that matches its manifest; RunStoreError saying what is wrong otherwise."""
    require_whole(
        path, "Resume uses the newest checkpoint that is whole; delete this one if it is not needed."
    )
    try:
        meta = json.loads((path / "state.json").read_text(encoding="utf-8"))
        model_state = load_file(str(path / "model.safetensors"))
        moments = load_file(str(path / "optimizer.safetensors"))
    except (OSError, ValueError, SafetensorError, json.JSONDecodeError) as exc:
        raise RunStoreError(
            f"The checkpoint cannot be read ({exc}).",
            "Delete this checkpoint folder to resume from the one before it.",
            path=path,
        ) from None
    return LoadedCheckpoint(
        path=path,
        state=TrainingState(**meta["training_state"]),
        model_state=model_state,
        optimizer_state=_join_optimizer_state(moments, meta["optimizer"]),
        scheduler_state=meta["scheduler"],
        scaler_state=meta["scaler"],
    )


def load_checkpoint_weights(model: torch.nn.Module, path: Path) -> None:
    """Put a checkpoint's weights into `model` (the run's exported architecture), after its manifest
    check; the optimizer state is not read."""
    require_whole(path, "Choose the run's exported model instead, or delete this checkpoint.")
    try:
        model_state = load_file(str(path / "model.safetensors"))
    except (OSError, ValueError, SafetensorError) as exc:
        raise RunStoreError(
            f"The checkpoint's weights cannot be read ({exc}).",
            "Choose the run's exported model instead.",
            path=path,
        ) from None
    expected = model.state_dict()
    foreign = sorted(
        name
        for name, tensor in model_state.items()
        if name not in expected or expected[name].shape != tensor.shape
    )
    if foreign or not model_state.keys() & expected.keys():
        raise RunStoreError(
            f"This is not a checkpoint of the chosen model: {', '.join(foreign[:3]) or 'no weight'} "
            "does not fit it.",
            "Choose a checkpoint of the run that exported the model (RUN_DIR/checkpoints).",
            path=path,
        )
    model.load_state_dict(model_state, strict=False)


def latest_checkpoint(folder: Path) -> Path | None:
    checkpoints = list_checkpoints(folder)
    return checkpoints[-1] if checkpoints else None


def newest_good_checkpoint(folder: Path) -> tuple[Path | None, list[tuple[Path, str]]]:
    """The newest checkpoint that matches its manifest, and the newer ones that do not (with why)."""
    damaged = []
    for path in reversed(list_checkpoints(folder)):
        problem = verify_folder(path)
        if problem is None:
            return path, damaged
        damaged.append((path, problem))
    return None, damaged


def set_aside(path: Path) -> Path:
    """Rename a damaged checkpoint out of the list of checkpoints (kept for a look, never resumed)."""
    aside = path.with_name(f"{DAMAGED_PREFIX}{path.name}")
    if aside.exists():
        shutil.rmtree(aside, ignore_errors=True)
    with writing(path, "the damaged checkpoint's new name"):
        os.replace(path, aside)
    return aside


def saved_run_info(folder: Path) -> tuple[dict[str, Any], Path] | None:
    """The run.json copy of the newest checkpoint that verifies, and that checkpoint; None if none has one."""
    path, _ = newest_good_checkpoint(folder)
    if path is None:
        return None
    try:
        info = json.loads((path / RUN_COPY).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return (info, path) if isinstance(info, dict) and isinstance(info.get("config"), dict) else None


def _untied_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    # safetensors refuses tensors sharing memory; the tied decoder is restored by tie_weights().
    return {k: v for k, v in model.state_dict().items() if k != "cls.predictions.decoder.weight"}


def _split_optimizer_state(state: dict[str, Any]) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Tensors ('<param index>.<slot>') for safetensors; everything else (hyper-parameters) for JSON."""
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for index, slots in state["state"].items():
        for slot, value in slots.items():
            if isinstance(value, torch.Tensor):
                tensors[f"{index}.{slot}"] = value.detach().to("cpu").contiguous()
            else:
                scalars.setdefault(str(index), {})[slot] = value
    return tensors, {"param_groups": state["param_groups"], "scalars": scalars}


def _join_optimizer_state(tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> dict[str, Any]:
    state: dict[int, dict[str, Any]] = {}
    for key, tensor in tensors.items():
        index, slot = key.split(".", 1)
        state.setdefault(int(index), {})[slot] = tensor
    for index, slots in meta["scalars"].items():
        state.setdefault(int(index), {}).update(slots)
    return {"state": state, "param_groups": meta["param_groups"]}


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(folder: Path) -> None:
    if os.name == "posix":
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
