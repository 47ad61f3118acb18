"""Before Start: how many optimizer and warmup steps the run will take, and a warning when that is too
short to learn (bertstudio.training.guidance); after a run, whether its loss barely moved."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from bertstudio.training.config import RunConfig

WARNING_COLOR = "#b06000"


class RunPlanLabel(QLabel):
    def __init__(self) -> None:
        super().__init__("")
        self.setObjectName("runPlanLabel")
        self.setWordWrap(True)
        self.warnings: list[str] = []

    def show_plan(self, config: RunConfig | None, train_examples: int | None) -> None:
        """The plan of `config` over `train_examples` rows (nothing while either is unknown)."""
        from bertstudio.training.guidance import advise, plan_steps

        if config is None or not train_examples or config.is_pretraining:
            self.warnings = []
            self.setText("")
            return
        plan = plan_steps(config, train_examples)
        self.warnings = advise(config, plan)
        lines = [f"This run: {plan.describe()}."]
        lines += [f"<span style='color:{WARNING_COLOR}'>⚠ {warning}</span>" for warning in self.warnings]
        self.setText("<br>".join(lines))
