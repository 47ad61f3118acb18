"""The task registry: one TaskSpec per task (columns, head, loss, metrics, defaults), read by the data
layer, the trainer, the CLI and the window. Importing it imports no torch."""

from bertstudio.tasks.registry import (
    LOWER_IS_BETTER,
    NSP_HEAD,
    all_tasks,
    fine_tuning_tasks,
    get_task,
    is_lower_better,
    masked_lm_heads,
    pretraining_tasks,
    sequence_heads,
    task_for_head,
    task_names,
)
from bertstudio.tasks.spec import PROBLEM_TYPES, ColumnRole, TaskDefaults, TaskSpec

__all__ = [
    "LOWER_IS_BETTER",
    "NSP_HEAD",
    "PROBLEM_TYPES",
    "ColumnRole",
    "TaskDefaults",
    "TaskSpec",
    "all_tasks",
    "fine_tuning_tasks",
    "get_task",
    "is_lower_better",
    "masked_lm_heads",
    "pretraining_tasks",
    "sequence_heads",
    "task_for_head",
    "task_names",
]
