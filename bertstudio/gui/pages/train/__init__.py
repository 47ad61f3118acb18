"""The Train page: the form (what to train, hyper-parameters), the run controls and the monitor."""

from bertstudio.gui.pages.train.page import TrainPage

__all__ = ["TrainPage"]
