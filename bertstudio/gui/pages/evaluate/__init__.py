"""The Evaluate page: a finished run's results, a playground for typed text, and batch prediction."""

from bertstudio.gui.pages.evaluate.page import EvaluatePage

__all__ = ["EvaluatePage"]
