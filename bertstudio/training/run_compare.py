"""Runs side by side: the settings that differ between run configs (those that apply to each run)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bertstudio.errors import ConfigError
from bertstudio.training.config import RunConfig

NOT_APPLICABLE = "—"  # the run's task does not read this setting
_IDENTITY = ("output_dir",)  # a run's own folder: always different, and shown as the run's name


@dataclass(frozen=True)
class SettingDifference:
    setting: str
    values: list[Any]  # one per run, in the order given; NOT_APPLICABLE where it does not apply


def applicable_settings(raw: dict[str, Any]) -> dict[str, Any]:
    """The settings of a run.json config that apply to its task (older run.json files list every
    setting; a config this version cannot read is shown as it is)."""
    try:
        return RunConfig.from_dict(raw).applicable_dict()
    except ConfigError:
        return dict(raw)


def config_differences(configs: Sequence[dict[str, Any]]) -> list[SettingDifference]:
    """The settings whose values are not the same in all `configs` (run.json "config" objects), in
    RunConfig's order; a setting that applies to only some runs differs."""
    settings = [applicable_settings(config) for config in configs]
    order = [f.name for f in dataclasses.fields(RunConfig)]
    names = order + sorted({name for s in settings for name in s} - set(order))
    differences = []
    for name in names:
        if name in _IDENTITY or not any(name in s for s in settings):
            continue
        values = [s.get(name, NOT_APPLICABLE) for s in settings]
        if any(value != values[0] for value in values[1:]):
            differences.append(SettingDifference(name, values))
    return differences
