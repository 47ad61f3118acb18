"""The range test's loop on the trainer's own path: one optimizer step per rate, on the run's batches."""

from __future__ import annotations

from collections.abc import Callable

import torch

from bertstudio.training.config import RunConfig
from bertstudio.training.control import TrainingControl
from bertstudio.training.events import Event, StartedEvent, StepEvent
from bertstudio.training.optim import build_optimizer
from bertstudio.training.prepare import prepare_run
from bertstudio.training.trainer import DivergedError, Trainer


class RateScanner(Trainer):
    """A Trainer that steps through rising learning rates instead of a schedule and writes nothing."""

    def __init__(
        self,
        config: RunConfig,
        on_event: Callable[[Event], None] | None,
        control: TrainingControl,
        rate: Callable[[int], float],
    ) -> None:
        super().__init__(config, on_event, control, resume=False)
        self.rate = rate

    def scan(self, diverged: Callable[[list[float]], bool]) -> tuple[list[float], list[float], str]:
        """(rates, losses, status) of the steps taken; status: completed, diverged or cancelled."""
        self.diverged = diverged
        return self.run()

    def _run(self) -> tuple[list[float], list[float], str]:
        config, state = self.config, self.state
        torch.manual_seed(config.seed)  # the same new head as the run would start from
        self.prepared = prepare_run(config, self.folder, self.log, self.context)
        self.model = self.train_model = self.prepared.model.to(self.setup.device)
        self.optimizer = build_optimizer(self.model, config, self.setup.device)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda step: self.rate(step) / config.learning_rate
        )
        self.scaler = torch.amp.GradScaler("cuda") if self.setup.needs_grad_scaler else None
        sampler = self._sampler()
        self.batches_per_epoch = len(sampler.batches(0))
        self.emit(
            StartedEvent(
                run_dir="",
                total_steps=config.max_steps,
                start_step=0,
                device=self.setup.describe(),
                precision=self.setup.precision,
                train_examples=len(self.prepared.train.lengths),
            )
        )
        self.log(
            f"Learning-rate range test: {config.max_steps} steps from {self.rate(0):.0e} to "
            f"{self.rate(config.max_steps - 1):.0e} on {self.setup.describe()}"
        )
        self.model.train()
        rates: list[float] = []
        losses: list[float] = []
        batches = sampler.batches(state.epoch)
        while state.step < config.max_steps:
            if self._should_stop():
                return rates, losses, "cancelled"
            if state.batch_in_epoch >= len(batches):
                state.epoch, state.batch_in_epoch = state.epoch + 1, 0
                batches = sampler.batches(state.epoch)
            window = batches[state.batch_in_epoch : state.batch_in_epoch + config.gradient_accumulation]
            rate = self.scheduler.get_last_lr()[0]
            try:
                loss, grad_norm, _, _ = self._optimizer_step(window)
            except DivergedError:
                return rates, losses, "diverged"
            state.step += 1
            state.batch_in_epoch += len(window)
            rates.append(rate)
            losses.append(loss)
            self.emit(
                StepEvent(
                    step=state.step,
                    total_steps=config.max_steps,
                    epoch=round(state.epoch + state.batch_in_epoch / max(self.batches_per_epoch, 1), 4),
                    loss=loss,
                    learning_rate=rate,
                    grad_norm=grad_norm,
                    samples_per_second=0.0,
                    elapsed_seconds=0.0,
                )
            )
            if self.diverged(losses):
                return rates, losses, "diverged"
        return rates, losses, "completed"
