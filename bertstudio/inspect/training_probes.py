"""Probe sentences across training: at each evaluation the engine records their attention and the
model's prediction (float16, compressed, a bounded total size); the Inspect page scrubs through them.

Each record is one file `probes/step_XXXXXXXXX.npz` in the run folder, written atomically, holding its
own metadata, so a crash mid-run leaves every earlier step readable and no index to repair.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from tokenizers import Tokenizer

from bertstudio.atomic import atomic_write
from bertstudio.errors import RunStoreError
from bertstudio.text import configure, encode

if TYPE_CHECKING:
    from bertstudio.model.modeling import BertPreTrainedModel

PROBES_FOLDER = "probes"
STEP_FILE = re.compile(r"^step_(\d{9})\.npz$")
MAX_SENTENCES = 8
DEFAULT_MAX_TOKENS = 48
DEFAULT_BUDGET_BYTES = 100 * 2**20


@dataclass
class ProbeStep:
    step: int
    metrics: dict[str, float]
    path: Path


@dataclass
class ProbeSnapshot:
    step: int
    metrics: dict[str, float]
    sentences: list[str]
    tokens: list[list[str]]
    maps: list[np.ndarray]  # per sentence (layers, heads, seq, seq) float32 (stored as float16)
    labels: list[str]  # output labels; empty for a model without a sequence head
    scores: list[list[float]]  # per sentence: probabilities / values, one per label


class ProbeRecorder:
    """Records the attention and prediction of a few probe sentences at each evaluation of a run.

    Sentences are truncated to `max_tokens`; once the probe files pass `budget_bytes`, every other
    recorded step is dropped (first and latest kept), so a long run keeps an even, bounded history.
    """

    def __init__(
        self,
        run_dir: str | Path,
        sentences: Sequence[str],
        max_tokens: int = DEFAULT_MAX_TOKENS,
        budget_bytes: int = DEFAULT_BUDGET_BYTES,
    ) -> None:
        sentences = [s for s in (str(s).strip() for s in sentences) if s]
        if not sentences:
            raise RunStoreError(
                "No probe sentences given.", "Write one or more sentences to follow across training."
            )
        if len(sentences) > MAX_SENTENCES:
            raise RunStoreError(
                f"{len(sentences)} probe sentences given; at most {MAX_SENTENCES} are recorded.",
                "Keep a few sentences that show what you want to watch.",
            )
        self.folder = Path(run_dir) / PROBES_FOLDER
        self.sentences = sentences
        self.max_tokens = max_tokens
        self.budget_bytes = budget_bytes
        self._tokenizer: tuple[Tokenizer, Tokenizer] | None = None  # (the run's, our truncating copy)

    def _truncating(self, tokenizer: Tokenizer) -> Tokenizer:
        """A copy of the run's tokenizer cut at max_tokens: the run's own is never reconfigured."""
        if self._tokenizer is None or self._tokenizer[0] is not tokenizer:
            copy = Tokenizer.from_str(tokenizer.to_str())
            self._tokenizer = (tokenizer, configure(copy, self.max_tokens))
        return self._tokenizer[1]

    def record(
        self,
        model: BertPreTrainedModel,
        tokenizer: Tokenizer,
        step: int,
        metrics: dict[str, float] | None = None,
    ) -> Path:
        """Store the probes' attention and prediction at `step`; returns the file written."""
        import torch  # only the recorder needs it; reading the records does not

        from bertstudio.inspect.attention_maps import maps_of_batch
        from bertstudio.inspect.batching import evaluating, model_device, pad_id_of, padded_inputs
        from bertstudio.inspect.probes import batch_outputs

        encodings = encode(self._truncating(tokenizer), self.sentences)
        inputs = padded_inputs(encodings, pad_id_of(tokenizer), model_device(model))
        with evaluating(model), torch.inference_mode():
            scores, _, attentions = batch_outputs(model, inputs, None, output_attentions=True)
        maps = maps_of_batch(attentions, encodings, self.sentences, None, None)
        labels = [model.config.id2label.get(i, f"LABEL_{i}") for i in range(scores.shape[1])]
        meta = {
            "step": int(step),
            "metrics": {k: float(v) for k, v in (metrics or {}).items() if isinstance(v, int | float)},
            "sentences": self.sentences,
            "tokens": [m.tokens for m in maps],
            "labels": labels,
            "scores": scores.cpu().numpy().round(6).tolist(),
        }
        arrays = {f"maps_{i}": m.maps.astype(np.float16) for i, m in enumerate(maps)}
        path = self.folder / f"step_{int(step):09d}.npz"

        def write(temp: str) -> None:
            with open(temp, "wb") as handle:
                np.savez_compressed(handle, meta=np.array(json.dumps(meta)), **arrays)

        atomic_write(path, write)
        self._keep_within_budget()
        return path

    def _keep_within_budget(self) -> None:
        files = sorted(self.folder.glob("step_*.npz"))
        while len(files) > 2 and sum(f.stat().st_size for f in files) > self.budget_bytes:
            dropped = files[1:-1:2]
            for file in dropped:
                file.unlink(missing_ok=True)
            files = [f for f in files if f not in dropped]


def list_probe_steps(run_dir: str | Path) -> list[ProbeStep]:
    """The recorded steps of a run, in order, with the metrics logged at each (empty if none)."""
    steps = []
    for path in sorted((Path(run_dir) / PROBES_FOLDER).glob("step_*.npz")):
        if STEP_FILE.match(path.name):
            meta = _read_meta(path)
            steps.append(ProbeStep(int(meta["step"]), meta["metrics"], path))
    return steps


def _read_meta(path: Path) -> dict:
    try:
        with np.load(path, allow_pickle=False) as data:
            return json.loads(str(data["meta"]))
    except (OSError, ValueError, KeyError, json.JSONDecodeError) as exc:
        raise RunStoreError(
            f"A probe record cannot be read ({exc}).",
            "Delete the file; the other steps stay usable.",
            path=path,
        ) from None


def load_probe_step(run_dir: str | Path, step: int) -> ProbeSnapshot:
    """Everything recorded at `step` of a run."""
    path = Path(run_dir) / PROBES_FOLDER / f"step_{int(step):09d}.npz"
    if not path.is_file():
        raise RunStoreError(
            f"No probes were recorded at step {step}.", "Pick one of the recorded steps.", path=path
        )
    meta = _read_meta(path)
    with np.load(path, allow_pickle=False) as data:
        maps = [data[f"maps_{i}"].astype(np.float32) for i in range(len(meta["sentences"]))]
    return ProbeSnapshot(
        step=int(meta["step"]),
        metrics=meta["metrics"],
        sentences=meta["sentences"],
        tokens=meta["tokens"],
        maps=maps,
        labels=meta["labels"],
        scores=meta["scores"],
    )
