"""Resumable checkpoints: safetensors + JSON only (no pickle), written atomically, last K kept.

A checkpoint is a folder `checkpoints/step-NNNNNNNN/` with
    model.safetensors      the model's weights
    optimizer.safetensors  AdamW moments, one tensor per parameter and slot
    state.json             optimizer hyper-parameters, scheduler, gradient scaler, data position, trainer state
It is assembled in a hidden temp folder and renamed into place, so a visible checkpoint is always whole.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from bertstudio.errors import RunStoreError

PREFIX = "step-"


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
) -> Path:
    """Write a checkpoint atomically, then delete all but the newest `keep` (never the best one)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / checkpoint_name(state.step)
    temp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=folder))
    try:
        weights = {k: v.detach().to("cpu").contiguous() for k, v in _untied_state(model).items()}
        save_file(weights, str(temp / "model.safetensors"))
        moments, optimizer_meta = _split_optimizer_state(optimizer.state_dict())
        save_file(moments, str(temp / "optimizer.safetensors"))
        meta = {
            "training_state": state.__dict__,
            "optimizer": optimizer_meta,
            "scheduler": scheduler.state_dict(),
            "scaler": scaler.state_dict() if scaler is not None else None,
        }
        (temp / "state.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
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


def load_checkpoint(path: Path) -> LoadedCheckpoint:
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


def latest_checkpoint(folder: Path) -> Path | None:
    checkpoints = list_checkpoints(folder)
    return checkpoints[-1] if checkpoints else None


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
