"""The training loop: steps, evaluation, early stopping, checkpoints, control, events.

One `Trainer` runs one run folder from start (or from its last checkpoint) to the end. It is driven
the same way by the GUI worker thread and by the command line; see `bertstudio.training` for the API.

Reproducibility: batches come from a sampler seeded by (seed, epoch), and every optimizer step reseeds
dropout and masking from (seed, step), so a resumed run takes exactly the steps an uninterrupted one would.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import socket
import time
from collections.abc import Callable
from pathlib import Path

import torch

from bertstudio.errors import BertStudioError, RunStoreError, TrainingError
from bertstudio.storage import format_size, free_bytes, require_free_space, writing
from bertstudio.training.checkpoint import (
    TrainingState,
    checkpoint_bytes,
    checkpoint_name,
    clean_partial,
    latest_checkpoint,
    load_checkpoint,
    model_bytes,
    newest_good_checkpoint,
    prune,
    save_checkpoint,
    saved_run_info,
    set_aside,
    write_manifest,
)
from bertstudio.training.config import RunConfig
from bertstudio.training.control import TrainingControl
from bertstudio.training.device import out_of_memory_error, setup_device
from bertstudio.training.distributed import DistributedContext
from bertstudio.training.duration import StepEta, format_duration
from bertstudio.training.evaluation import EvalResult, evaluate
from bertstudio.training.events import (
    CheckpointEvent,
    EvalEvent,
    Event,
    FailedEvent,
    FinishedEvent,
    LogEvent,
    StartedEvent,
    StepEvent,
)
from bertstudio.training.optim import build_optimizer, build_scheduler
from bertstudio.training.prepare import prepare_run
from bertstudio.training.results import RunResult, write_eval_files
from bertstudio.training.run_lock import acquire_run_lock
from bertstudio.training.run_store import PARTIAL_MODEL, RunFolder, fingerprint

EVAL_MASK_SEED = 1234  # masked-LM evaluation uses the same masks every time, so losses compare


def step_seed(seed: int, step: int, stream: int) -> int:
    """A seed for (run seed, optimizer step, stream); streams: 0.. per process for dropout, -1 masking."""
    return (seed * 1_000_003 + step * 7_919 + stream * 104_729) % (2**63 - 1)


class Trainer:
    def __init__(
        self,
        config: RunConfig,
        on_event: Callable[[Event], None] | None,
        control: TrainingControl,
        resume: bool,
        interface_cores: int = 0,
    ) -> None:
        self.config = config
        self.interface_cores = interface_cores  # CPU cores left free (the window keeps one)
        self.control = control
        self.resume = resume
        self.context = DistributedContext.from_environment()
        self.folder = RunFolder(config.output_dir)
        self.on_event = on_event if self.context.is_main else None
        self.state = TrainingState()
        self.saved_step: int | None = None  # step of the newest checkpoint written by this process
        self.owns_folder = False  # this run created the folder, or took it over to resume: it may write there
        self.last_save_time = time.monotonic()
        self.release_lock: Callable[[], None] | None = None  # set while this process holds run.lock

    # ------------------------------------------------------------------ events

    def emit(self, event: Event) -> None:
        if not self.context.is_main:
            return
        if self.owns_folder:
            self.folder.append_event(event)
        if self.on_event is not None:
            self.on_event(event)

    def report_failure(self, event: FailedEvent | None, status: str, **info) -> None:
        """Tell the caller the run failed, and mark it in the folder as far as the disk still allows
        (the failure may be that nothing can be written there)."""
        if event is not None and self.on_event is not None:
            self.on_event(event)
        if not (self.owns_folder and self.context.is_main):
            return
        if event is not None:
            with contextlib.suppress(BertStudioError):
                self.folder.append_event(event)
        with contextlib.suppress(BertStudioError):
            self.folder.update_info(status=status, **info)

    def log(self, message: str, level: str = "info") -> None:
        self.emit(LogEvent(message, level))

    # ------------------------------------------------------------------ setup

    def run(self) -> RunResult:
        config = self.config
        config.validate()
        self.setup = setup_device(
            config.device,
            config.precision,
            config.cpu_threads,
            self.context.local_rank,
            interface_cores=self.interface_cores,
        )
        self.context.init_process_group(self.setup.device)
        result = self._run()  # on an error the group is left to process exit: peers may sit in a collective
        self.train_model = None  # DDP's reducer holds the group; release it before the group goes
        self.context.shutdown()
        return result

    def _run(self) -> RunResult:
        config = self.config
        checkpoint = self._open_folder()
        self.probe_recorder = self._probe_recorder()
        torch.manual_seed(config.seed)  # initialisation of new heads / new models
        self.prepared = prepare_run(config, self.folder, self.log, self.context)
        if self.context.is_main:
            fingerprints = [fingerprint(p) for p in self.prepared.data_files]
            if self.resume:
                self._warn_if_data_changed(fingerprints)
            else:
                self.folder.update_info(
                    label_names=self.prepared.label_names, data=fingerprints, sizes=self.prepared.sizes
                )
        model = self.prepared.model.to(self.setup.device)
        self.model = model
        if self.context.is_main:
            self._warn_if_disk_is_short()
        self.batches_per_epoch = len(self._sampler().batches(0))
        steps_per_epoch = math.ceil(self.batches_per_epoch / config.gradient_accumulation)
        self.total_steps = config.max_steps or config.epochs * steps_per_epoch
        self.optimizer = build_optimizer(model, config, self.setup.device)
        self.scheduler = build_scheduler(self.optimizer, config, self.total_steps)
        self.scaler = torch.amp.GradScaler("cuda") if self.setup.needs_grad_scaler else None
        if checkpoint is not None:
            self._restore(checkpoint)
        self.train_model = model
        if self.context.enabled:
            device_ids = [self.setup.device.index] if self.setup.device.type == "cuda" else None
            self.train_model = torch.nn.parallel.DistributedDataParallel(model, device_ids=device_ids)
        self.emit(
            StartedEvent(
                run_dir=str(self.folder.path),
                total_steps=self.total_steps,
                start_step=self.state.step,
                device=self.setup.describe(),
                precision=self.setup.precision,
                world_size=self.context.world_size,
                train_examples=len(self.prepared.train.lengths),
                eval_examples=len(self.prepared.validation.lengths) if self.prepared.validation else 0,
                threads=self.setup.threads,
            )
        )
        self.log(
            f"{'Resuming at step ' + str(self.state.step) if self.state.step else 'Training'}: "
            f"{self.total_steps} steps, {len(self.prepared.train.lengths)} training examples, "
            f"batch {config.batch_size} x {config.gradient_accumulation} accumulation, on {self.setup.describe()}"
            + (f", {self.context.world_size} processes" if self.context.enabled else "")
        )
        if config.early_stopping_patience and self.prepared.validation is None:
            self.log("Early stopping is off: there is no validation data to watch.", "warning")
        try:
            return self._finish(self._train())
        except RuntimeError as exc:  # torch.cuda.OutOfMemoryError is one; MPS reports a plain RuntimeError
            if "out of memory" not in str(exc).lower():
                raise
            raise out_of_memory_error(
                config.batch_size, config.gradient_accumulation, config.max_length
            ) from None

    def _open_folder(self):
        """Create the run folder, or on resume read its newest complete checkpoint."""
        folder = self.folder
        if self.context.is_main:
            self.release_lock = acquire_run_lock(folder.path)  # before anything is written
        if not self.resume:
            if self.context.is_main:
                folder.create(self.config, pid=os.getpid(), host=socket.gethostname())
                self.owns_folder = True
            self.context.barrier()
            return None
        try:
            info = folder.read_info()
        except RunStoreError as exc:
            info = self._restore_run_info(exc)
        if info.get("status") == "completed":
            raise RunStoreError(
                "This run has already finished; its model is in model/.",
                "Start a new run to train further (use model/ as the starting model).",
                path=folder.path,
            )
        self.owns_folder = self.context.is_main
        self.context.barrier()
        if self.context.is_main:
            clean_partial(folder.checkpoints)
            folder.clean_leftovers()
            self._set_aside_damaged_checkpoints()
        self.context.barrier()
        path = latest_checkpoint(folder.checkpoints)
        if self.context.is_main:
            # a step reached before the process went may be past the checkpoint this run continues from
            folder.update_info(
                status="running", pid=os.getpid(), host=socket.gethostname(), reached_step=None
            )
        if path is None:
            # Killed before the first checkpoint: start over in the same folder.
            if self.context.is_main:
                folder.drop_events_after(0)
            return None
        loaded = load_checkpoint(path)
        if self.context.is_main:
            folder.drop_events_after(loaded.state.step)
            if self.config.keep_checkpoints:  # a resume with fewer to keep frees space now (a full disk)
                with writing(folder.checkpoints, "old checkpoints"):
                    prune(folder.checkpoints, self.config.keep_checkpoints, loaded.state.best_step)
        return loaded

    def _restore_run_info(self, error: RunStoreError) -> dict:
        """run.json is missing or damaged: rebuild it from the newest good checkpoint's copy."""
        saved = saved_run_info(self.folder.checkpoints)
        if saved is None:
            raise error
        info, source = saved
        info = {**info, "status": "interrupted"}
        if self.context.is_main:
            self.folder.write_info(info)
            self.log(
                f"run.json could not be read ({error.message}); it was rebuilt from the copy in checkpoint "
                f"{source.name}.",
                "warning",
            )
        return info

    def _set_aside_damaged_checkpoints(self) -> None:
        good, damaged = newest_good_checkpoint(self.folder.checkpoints)
        for path, problem in damaged:
            aside = set_aside(path)
            start = f"checkpoint {good.name}" if good is not None else "the start (no checkpoint is whole)"
            self.log(
                f"Checkpoint {path.name} is damaged ({problem}): resuming from {start} instead. "
                f"The damaged one was renamed to {aside.name}; delete it when you no longer need it.",
                "warning",
            )

    def _warn_if_data_changed(self, fingerprints: list[dict]) -> None:
        recorded = {d["path"]: d["sha256"] for d in self.folder.read_info().get("data", [])}
        changed = [f["path"] for f in fingerprints if recorded.get(f["path"], f["sha256"]) != f["sha256"]]
        if changed:
            self.log(
                f"The data changed since the run started ({', '.join(changed)}): the resumed run "
                "will not repeat the original one exactly.",
                "warning",
            )

    def _restore(self, checkpoint) -> None:
        missing, unexpected = self.model.load_state_dict(checkpoint.model_state, strict=False)
        if unexpected or [k for k in missing if k != "cls.predictions.decoder.weight"]:
            raise RunStoreError("The checkpoint does not fit the model of this run.", path=checkpoint.path)
        self.model.tie_weights()
        self.optimizer.load_state_dict(checkpoint.optimizer_state)
        self.scheduler.load_state_dict(checkpoint.scheduler_state)
        if self.scaler is not None and checkpoint.scaler_state:
            self.scaler.load_state_dict(checkpoint.scaler_state)
        self.state = checkpoint.state
        self.saved_step = checkpoint.state.step

    def _warn_if_disk_is_short(self) -> None:
        """Say at the start, not at the first save, when the disk cannot hold a checkpoint and the model."""
        needed = checkpoint_bytes(self.model) + model_bytes(self.model)
        free = free_bytes(self.folder.path)
        if free is not None and free < needed:
            self.log(
                f"Only {format_size(free)} is free on the disk of {self.folder.path}; a checkpoint and the final "
                f"model need about {format_size(needed)}. The run will stop at the first save that does not "
                "fit: free space or choose another output folder.",
                "warning",
            )

    def _sampler(self):
        from bertstudio.data import BatchSampler

        config = self.config
        return BatchSampler(
            self.prepared.train.lengths,
            config.batch_size,
            shuffle=True,
            group_by_length=config.group_by_length,
            seed=config.seed,
        )

    # ------------------------------------------------------------------ loop

    def _train(self) -> str:
        config, state = self.config, self.state
        sampler = self._sampler()
        self.train_model.train()
        clock = time.monotonic()
        self.eta = StepEta()  # for the ETA in log lines
        self.eta.start(clock, state.step)
        while state.step < self.total_steps:
            batches = sampler.batches(state.epoch)
            while state.batch_in_epoch < len(batches) and state.step < self.total_steps:
                if self._should_stop():
                    return "cancelled"
                window = batches[state.batch_in_epoch : state.batch_in_epoch + config.gradient_accumulation]
                started = time.monotonic()
                loss, grad_norm, examples, tokens = self._optimizer_step(window)
                state.step += 1
                state.batch_in_epoch += len(window)
                now = time.monotonic()
                state.elapsed_seconds += now - clock
                clock = now
                if state.batch_in_epoch >= len(batches):
                    state.epoch, state.batch_in_epoch = state.epoch + 1, 0
                    epoch_done = True
                else:
                    epoch_done = False
                seconds = max(now - started, 1e-9)
                self._report_step(loss, grad_norm, examples / seconds, tokens / seconds)
                stop = self._after_step(epoch_done)
                if stop:
                    return stop
                if epoch_done:
                    break  # the next epoch takes its own shuffle (a resume at this boundary does too)
            if state.batch_in_epoch >= len(batches):  # resumed exactly at an epoch's end
                state.epoch, state.batch_in_epoch = state.epoch + 1, 0
        return "completed"

    def _should_stop(self) -> bool:
        """Honour pause and cancel at a step boundary; all processes agree on a cancel."""
        if self.control.paused:
            if self.owns_folder and self.context.is_main:  # the run store shows how far a paused run got
                self.folder.update_info(reached_step=self.state.step)
            self.log("Paused.")
            self.control.wait_while_paused()
            if not self.control.cancelled:
                self.log("Resumed.")
        cancelled = self.control.cancelled
        if self.context.enabled:
            cancelled = bool(self.context.sum(torch.tensor([float(cancelled)])).item() > 0)
        return cancelled

    def _optimizer_step(self, window: list[list[int]]) -> tuple[float, float, int, int]:
        """Forward/backward over the window's batches, then one optimizer step; returns the loss, the
        gradient norm, and the examples and real tokens stepped over.
        Each batch's loss is weighted by its share of the window's scored items (examples, tagged
        tokens, masked tokens), so accumulation and data parallelism give the mean over the window."""
        config, setup, context = self.config, self.setup, self.context
        step = self.state.step
        torch.manual_seed(step_seed(config.seed, step, context.rank))
        generator = torch.Generator().manual_seed(step_seed(config.seed, step, -1))
        batches = [self.prepared.train.batch(indices, generator) for indices in window]
        counts = [scored_count(batch, self.prepared.model_task) for batch in batches]
        total = max(sum(counts), 1)
        loss_sum = torch.zeros((), device=setup.device)
        for position, batch in enumerate(batches):
            local = context.shard(batch)
            local_count = scored_count(local, self.prepared.model_task)
            local = {k: v.to(setup.device, non_blocking=True) for k, v in local.items()}
            last = position == len(batches) - 1
            sync = contextlib.nullcontext() if last or not context.enabled else self.train_model.no_sync()
            with sync:
                with setup.autocast():
                    out = self.train_model(**local)
                weighted = out.loss * (local_count * context.world_size / total)
                if self.scaler is not None:
                    self.scaler.scale(weighted).backward()
                else:
                    weighted.backward()
            loss_sum += out.loss.detach().float() * local_count
        if self.scaler is not None:
            self.scaler.unscale_(self.optimizer)
        max_norm = config.max_grad_norm if config.max_grad_norm > 0 else float("inf")
        grad_norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), max_norm)
        loss = float(context.sum(loss_sum.cpu().double()).item()) / total  # (MPS has no float64)
        grad_norm_value = float(grad_norm)
        if not math.isfinite(loss) or (self.scaler is None and not math.isfinite(grad_norm_value)):
            self.optimizer.zero_grad(set_to_none=True)
            raise DivergedError(step + 1, loss, grad_norm_value)
        if self.scaler is not None:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        examples = sum(len(indices) for indices in window)
        tokens = sum(int(batch["attention_mask"].sum()) for batch in batches)
        return loss, grad_norm_value, examples, tokens

    def _report_step(
        self, loss: float, grad_norm: float, samples_per_second: float, tokens_per_second: float
    ) -> None:
        state = self.state
        epoch = state.epoch + state.batch_in_epoch / max(self.batches_per_epoch, 1)
        self.emit(
            StepEvent(
                step=state.step,
                total_steps=self.total_steps,
                epoch=round(epoch, 4),
                loss=loss,
                learning_rate=self.scheduler.get_last_lr()[0],
                grad_norm=grad_norm,
                samples_per_second=samples_per_second,
                elapsed_seconds=state.elapsed_seconds,
                tokens_per_second=tokens_per_second,
            )
        )
        if self.config.log_every_steps and state.step % self.config.log_every_steps == 0:
            now = time.monotonic()
            rate = self.eta.steps_per_second(now, state.step)
            remaining = self.eta.update(now, state.step, self.total_steps)
            self.log(
                f"step {state.step}/{self.total_steps} loss {loss:.4f} "
                f"lr {self.scheduler.get_last_lr()[0]:.2e} ({rate:.2f} steps/s, ETA {format_duration(remaining)})"
            )

    def _after_step(self, epoch_done: bool) -> str | None:
        """Evaluate / checkpoint when due; the stop status when training should end here."""
        config, state = self.config, self.state
        eval_due = bool(config.eval_every_steps and state.step % config.eval_every_steps == 0)
        eval_due = eval_due or (epoch_done and config.eval_each_epoch)
        if eval_due and self.prepared.validation is not None:
            improved = self._evaluate_validation()
            self._save("eval")
            patience = config.early_stopping_patience
            if patience and not improved and state.evals_without_improvement >= patience:
                self.log(f"Early stopping: {config.best_metric} did not improve for {patience} evaluations.")
                return "early_stopped"
            return None
        minutes = (time.monotonic() - self.last_save_time) / 60
        if config.save_every_steps and state.step % config.save_every_steps == 0:
            self._save("interval")
        elif epoch_done:
            self._save("epoch")
        elif config.save_every_minutes and minutes >= config.save_every_minutes:
            self._save("time")
        return None

    # ------------------------------------------------------------------ evaluation and saving

    def _evaluate(self, split: str) -> EvalResult:
        prepared = self.prepared
        source = prepared.validation if split == "validation" else prepared.test
        return evaluate(
            self.model,
            source,
            self.config.task,
            prepared.label_names,
            self.setup,
            self.config.batch_size,
            self.context,
            generator_seed=EVAL_MASK_SEED,
        )

    def _evaluate_validation(self) -> bool:
        """Evaluate, track the best metric; True when this evaluation is the best so far."""
        config, state = self.config, self.state
        result = self._evaluate("validation")
        name = config.best_metric
        value = result.metrics.get(name)
        if name not in result.metrics:
            available = ", ".join(k for k, v in result.metrics.items() if isinstance(v, (int, float)))
            raise TrainingError(
                f"metric_for_best {name!r} is not computed for this task.", f"Choose one of: {available}."
            )
        better = value is not None and (
            state.best_metric is None
            or (value > state.best_metric if config.greater_is_better else value < state.best_metric)
        )
        state.last_eval_step = state.step
        if better:
            state.best_metric, state.best_step = float(value), state.step
            state.evals_without_improvement = 0
        else:
            state.evals_without_improvement += 1
        epoch = state.epoch + state.batch_in_epoch / max(self.batches_per_epoch, 1)
        self.emit(EvalEvent(state.step, round(epoch, 4), "validation", result.metrics, is_best=better))
        if self.context.is_main:
            write_eval_files(
                self.folder.eval_dir,
                "validation",
                result,
                self.prepared.validation.dataset,
                self.prepared.label_names,
                self.config.task,
            )
            self._record_probes(result.metrics)
        return better

    def _record_probes(self, metrics: dict) -> None:
        if self.probe_recorder is not None:
            self.probe_recorder.record(self.model, self.prepared.tokenizer, self.state.step, metrics)

    def _probe_recorder(self):
        """The inspection module's recorder of probe sentences, when sentences are given (and it exists)."""
        if not self.config.probe_sentences or not self.context.is_main:
            return None
        try:
            from bertstudio.inspect.training_probes import ProbeRecorder
        except ImportError:
            self.log("Probe sentences are not recorded: the inspection module is not available.", "warning")
            return None
        return ProbeRecorder(self.folder.path, self.config.probe_sentences)

    def _save(self, reason: str) -> None:
        self.last_save_time = time.monotonic()
        if not self.context.is_main:
            return
        path = save_checkpoint(
            self.folder.checkpoints,
            self.model,
            self.optimizer,
            self.scheduler,
            self.scaler,
            self.state,
            self.config.keep_checkpoints,
            run_info=self._run_info_copy(),
        )
        self.saved_step = self.state.step
        self.emit(CheckpointEvent(self.state.step, str(path), reason))

    def _run_info_copy(self) -> dict:
        """What a checkpoint keeps of run.json, so a resume works when run.json is lost."""
        info = self.folder.read_info()
        return {k: v for k, v in info.items() if k not in ("status", "error", "result", "pid", "host")}

    # ------------------------------------------------------------------ the end

    def _finish(self, status: str) -> RunResult:
        config, state, folder = self.config, self.state, self.folder
        if status == "cancelled":
            self._save("cancel")
            self.log(f"Cancelled at step {state.step}; resume with: bertstudio train --resume {folder.path}")
            self._mark(
                "cancelled",
                result={
                    "status": "cancelled",
                    "step": state.step,
                    "best_step": state.best_step,
                    "best_metric": state.best_metric,
                },
            )
            self.emit(FinishedEvent(state.step, "cancelled", "", state.best_step, state.best_metric))
            return RunResult(
                "cancelled", str(folder.path), "", state.step, state.best_step, state.best_metric
            )
        if self.prepared.validation is not None and state.last_eval_step != state.step:
            self._evaluate_validation()
        if self.saved_step != state.step:
            self._save("final")
        if config.load_best_at_end and state.best_step is not None and state.best_step != state.step:
            if self.context.is_main:
                best = load_checkpoint(folder.checkpoints / checkpoint_name(state.best_step))
                self.model.load_state_dict(best.model_state, strict=False)
                self.model.tie_weights()
            self.context.broadcast_parameters(self.model)
            self.log(
                f"Loaded the best model (step {state.best_step}, {config.best_metric} {state.best_metric:.4f})."
            )
        test_metrics: dict = {}
        if self.prepared.test is not None:
            result = self._evaluate("test")
            test_metrics = result.metrics
            self.emit(EvalEvent(state.step, float(state.epoch), "test", result.metrics))
            if self.context.is_main:
                write_eval_files(
                    folder.eval_dir,
                    "test",
                    result,
                    self.prepared.test.dataset,
                    self.prepared.label_names,
                    config.task,
                )
        model_dir = ""
        if self.context.is_main:
            model_dir = str(self._save_model())
        self._mark(
            "completed",
            result={
                "status": status,
                "step": state.step,
                "best_step": state.best_step,
                "best_metric": state.best_metric,
                "test_metrics": _scalars(test_metrics),
            },
        )
        self.emit(
            FinishedEvent(state.step, status, model_dir, state.best_step, state.best_metric, test_metrics)
        )
        return RunResult(
            status, str(folder.path), model_dir, state.step, state.best_step, state.best_metric, test_metrics
        )

    def _save_model(self) -> Path:
        from bertstudio.model import save_pretrained

        target = self.folder.model_dir
        partial = target.with_name(PARTIAL_MODEL)
        with writing(target, "the final model"):
            shutil.rmtree(partial, ignore_errors=True)
            require_free_space(self.folder.path, model_bytes(self.model), "the final model")
            save_pretrained(self.model, self.prepared.tokenizer, partial, max_length=self.config.max_length)
            write_manifest(partial)
            if target.exists():
                shutil.rmtree(target)
            os.replace(partial, target)
        return target

    def _mark(self, status: str, **extra) -> None:
        if self.context.is_main:
            self.folder.update_info(status=status, **extra)


class DivergedError(TrainingError):
    def __init__(self, step: int, loss: float, grad_norm: float) -> None:
        self.step = step
        what = f"loss = {loss}" if not math.isfinite(loss) else f"gradient norm = {grad_norm}"
        super().__init__(
            f"Training diverged at step {step} ({what}); the run was stopped before the weights were changed.",
            "Start a new run with a lower learning rate (e.g. 10x lower), gradient clipping on "
            "(max_grad_norm 1.0) or fp32 precision. The last good checkpoint stays in checkpoints/.",
        )


def scored_count(batch: dict[str, torch.Tensor], model_task: str) -> int:
    """Items a batch's mean loss averages over: masked or tagged tokens, else examples."""
    labels = batch.get("labels")
    if labels is not None and model_task in ("masked_lm", "pretraining", "token_classification"):
        return int((labels != -100).sum())
    return int(batch["input_ids"].shape[0])


def _scalars(metrics: dict) -> dict:
    return {k: v for k, v in metrics.items() if isinstance(v, (int, float)) or v is None}


def run_with_events(trainer: Trainer) -> RunResult:
    """Run a trainer holding the run folder's lock; a BertStudioError becomes a `failed` event and a
    failed RunResult. The lock is released when the run ends, however it ends."""
    try:
        return _run_reporting_failures(trainer)
    finally:
        if trainer.release_lock is not None:
            trainer.release_lock()
            trainer.release_lock = None


def _run_reporting_failures(trainer: Trainer) -> RunResult:
    try:
        return trainer.run()
    except BertStudioError as exc:
        last = newest_good_checkpoint(trainer.folder.checkpoints)[0] if trainer.owns_folder else None
        step = getattr(exc, "step", trainer.state.step)
        trainer.report_failure(
            FailedEvent(exc.located(), exc.hint, step, str(last) if last else ""),
            status="failed",
            error={"message": exc.located(), "hint": exc.hint},
        )
        return RunResult(
            "failed",
            str(trainer.folder.path),
            "",
            trainer.state.step,
            trainer.state.best_step,
            trainer.state.best_metric,
            error=exc,
        )
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            trainer.report_failure(None, status="interrupted")
        else:
            event = FailedEvent(
                f"Internal error: {type(exc).__name__}: {exc}",
                "Please report this with run.json.",
                trainer.state.step,
            )
            trainer.report_failure(event, status="failed")
        raise
